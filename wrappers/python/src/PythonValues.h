// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PYTHON_VALUES_H_
#define OPENMM_AFFINITY_PYTHON_VALUES_H_

// Conversions between the Python module's C++ results and Python objects, for the SWIG
// wrapper alone (the one translation unit that includes Python.h). Arrays of doubles cross
// as bytearrays of float64, which the package's Python code views with numpy.frombuffer:
// one copy, and no dependence of the extension on numpy's C API.

#include "PoseArrayModel.h"
#include <Python.h>
#include <memory>
#include <string>
#include <vector>

namespace AffinityPython {

/**
 * Thrown through C++ code when Python code that it called (a callback) raised: the Python
 * exception is already set and only has to reach the interpreter. Not a std::exception, so
 * that no handler on the way turns it into something else.
 */
struct PythonErrorRaised {};

/**
 * Releases the GIL for the life of the object. LibTorch's autograd engine refuses to run
 * while the calling thread holds the GIL once torch's Python bindings are loaded, and long
 * C++ work should let other Python threads run anyway.
 */
class GilRelease {
public:
    GilRelease() : state(PyEval_SaveThread()) {}
    ~GilRelease() {
        PyEval_RestoreThread(state);
    }
    GilRelease(const GilRelease&) = delete;
    GilRelease& operator=(const GilRelease&) = delete;

private:
    PyThreadState* state;
};

/** Holds the GIL for the life of the object, on a thread that may have released it. */
class GilHold {
public:
    GilHold() : state(PyGILState_Ensure()) {}
    ~GilHold() {
        PyGILState_Release(state);
    }
    GilHold(const GilHold&) = delete;
    GilHold& operator=(const GilHold&) = delete;

private:
    PyGILState_STATE state;
};

/** Throw PythonErrorRaised if a Python C-API call failed (returned NULL). */
inline PyObject* checked(PyObject* object) {
    if (object == nullptr)
        throw PythonErrorRaised();
    return object;
}

/** A new bytearray holding the doubles, as native float64. */
inline PyObject* doublesToBytearray(const std::vector<double>& values) {
    return checked(PyByteArray_FromStringAndSize(reinterpret_cast<const char*>(values.data()),
                                                 static_cast<Py_ssize_t>(values.size() * sizeof(double))));
}

/** Set d[key] = value and release the reference to value. */
inline void setItem(PyObject* dict, const char* key, PyObject* value) {
    const int status = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    if (status != 0)
        throw PythonErrorRaised();
}

/** A list of (name, shape tuple, bytearray of float64) tuples. */
inline PyObject* namedArraysToList(const std::vector<NamedArray>& arrays) {
    PyObject* list = checked(PyList_New(static_cast<Py_ssize_t>(arrays.size())));
    for (size_t i = 0; i < arrays.size(); i++) {
        PyObject* shape = checked(PyTuple_New(static_cast<Py_ssize_t>(arrays[i].shape.size())));
        for (size_t d = 0; d < arrays[i].shape.size(); d++)
            PyTuple_SET_ITEM(shape, d, checked(PyLong_FromLongLong(arrays[i].shape[d])));
        PyObject* item =
            checked(Py_BuildValue("(sNN)", arrays[i].name.c_str(), shape, doublesToBytearray(arrays[i].values)));
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/** A dict of one pose's gradient: pose, energy, gradients, position_gradient (or None). */
inline PyObject* poseGradientToDict(const PoseGradientArrays& gradient) {
    PyObject* dict = checked(PyDict_New());
    setItem(dict, "pose", checked(PyLong_FromLong(gradient.pose)));
    setItem(dict, "energy", checked(PyFloat_FromDouble(gradient.energy)));
    setItem(dict, "gradients", namedArraysToList(gradient.parameterGradients));
    if (gradient.positionGradient.empty()) {
        Py_INCREF(Py_None);
        setItem(dict, "position_gradient", Py_None);
    } else {
        setItem(dict, "position_gradient", doublesToBytearray(gradient.positionGradient));
    }
    return dict;
}

/** A dict of a combined gradient, with the keys of the Python CombinedGradient's fields. */
inline PyObject* combinedGradientToDict(const CombinedGradientArrays& result) {
    PyObject* dict = checked(PyDict_New());
    setItem(dict, "loss", checked(PyFloat_FromDouble(result.loss)));
    setItem(dict, "delta_g", checked(PyFloat_FromDouble(result.combination.deltaG)));
    setItem(dict, "weights", doublesToBytearray(result.combination.weights));
    setItem(dict, "coefficients", doublesToBytearray(result.combination.coefficients));
    setItem(dict, "energies", doublesToBytearray(result.energies));
    setItem(dict, "loss_coefficients", doublesToBytearray(result.lossCoefficients));
    setItem(dict, "gradients", namedArraysToList(result.parameterGradients));
    if (result.positionGradients.empty()) {
        Py_INCREF(Py_None);
        setItem(dict, "position_gradients", Py_None);
    } else {
        setItem(dict, "position_gradients", doublesToBytearray(result.positionGradients));
    }
    return dict;
}

/** A list of Python ints. */
inline PyObject* intsToList(const std::vector<int>& values) {
    PyObject* list = checked(PyList_New(static_cast<Py_ssize_t>(values.size())));
    for (size_t i = 0; i < values.size(); i++)
        PyList_SET_ITEM(list, i, checked(PyLong_FromLong(values[i])));
    return list;
}

/** A dict of a set's results, with the keys of the Python SetGradient's fields (arrays flat). */
inline PyObject* setGradientToDict(const SetGradientArrays& result) {
    PyObject* dict = checked(PyDict_New());
    setItem(dict, "loss", checked(PyFloat_FromDouble(result.loss)));
    setItem(dict, "delta_g", doublesToBytearray(result.deltaG));
    setItem(dict, "pose_counts", intsToList(result.poseCounts));
    setItem(dict, "energies", doublesToBytearray(result.energies));
    setItem(dict, "weights", doublesToBytearray(result.weights));
    setItem(dict, "coefficients", doublesToBytearray(result.coefficients));
    setItem(dict, "loss_by_delta_g", doublesToBytearray(result.lossByDeltaG));
    setItem(dict, "loss_by_pose_energy", doublesToBytearray(result.lossByPoseEnergy));
    setItem(dict, "loss_coefficients", doublesToBytearray(result.lossCoefficients));
    setItem(dict, "gradients", namedArraysToList(result.parameterGradients));
    return dict;
}

/** The doubles of a Python sequence of numbers; throws PythonErrorRaised (TypeError set) otherwise. */
inline std::vector<double> doublesFromSequence(PyObject* object, const char* what) {
    PyObject* sequence = PySequence_Fast(object, what);
    if (sequence == nullptr)
        throw PythonErrorRaised();
    const Py_ssize_t size = PySequence_Fast_GET_SIZE(sequence);
    std::vector<double> values(static_cast<size_t>(size));
    for (Py_ssize_t i = 0; i < size; i++) {
        values[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(sequence, i));
        if (values[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(sequence);
            throw PythonErrorRaised();
        }
    }
    Py_DECREF(sequence);
    return values;
}

/** The values of several ligands concatenated, as flat doubles and the count of each. */
inline void flatten(const std::vector<std::vector<double>>& perLigand, std::vector<double>& flat,
                    std::vector<int>& counts) {
    for (const auto& values : perLigand) {
        flat.insert(flat.end(), values.begin(), values.end());
        counts.push_back(static_cast<int>(values.size()));
    }
}

/**
 * Wrap a Python callable as the formula of a CallableSetLoss, called from C++ code that runs
 * with the GIL released: it takes the GIL and calls
 *
 *   callable(predictions, pose_predictions, pose_counts, targets, sigmas, pose_targets, pose_target_counts)
 *
 * with bytearrays of float64 (the per-pose values concatenated ligand by ligand) and lists of
 * counts, and expects (value, derivatives by the predictions, derivatives by the pose
 * predictions or None). The package's Python code (the module ligand_sets) builds it around a
 * torch function. An exception the callable raises reaches the caller unchanged.
 */
inline AffinityPlugin::CallableSetLoss::Formula pythonSetLossFormula(PyObject* callable) {
    Py_INCREF(callable);
    std::shared_ptr<PyObject> held(callable, [](PyObject* object) {
        GilHold hold;
        Py_DECREF(object);
    });
    return [held](const AffinityPlugin::SetLossInput& input) {
        GilHold hold;
        std::vector<double> poses, poseTargets;
        std::vector<int> poseCounts, targetCounts;
        flatten(input.posePredictions, poses, poseCounts);
        flatten(input.poseTargets, poseTargets, targetCounts);
        PyObject* arguments = checked(Py_BuildValue("(NNNNNNN)", doublesToBytearray(input.predictions),
                                                    doublesToBytearray(poses), intsToList(poseCounts),
                                                    doublesToBytearray(input.targets), doublesToBytearray(input.sigmas),
                                                    doublesToBytearray(poseTargets), intsToList(targetCounts)));
        PyObject* result = PyObject_CallObject(held.get(), arguments);
        Py_DECREF(arguments);
        checked(result);
        AffinityPlugin::SetLossValue value;
        try {
            if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 3) {
                PyErr_SetString(PyExc_TypeError, "the set loss callback: expected a tuple (value, by_ligand, by_pose)");
                throw PythonErrorRaised();
            }
            value.value = PyFloat_AsDouble(PyTuple_GET_ITEM(result, 0));
            if (value.value == -1.0 && PyErr_Occurred())
                throw PythonErrorRaised();
            value.byLigand = doublesFromSequence(PyTuple_GET_ITEM(result, 1), "the set loss callback: by_ligand");
            PyObject* byPose = PyTuple_GET_ITEM(result, 2);
            if (byPose != Py_None) {
                const std::vector<double> flat = doublesFromSequence(byPose, "the set loss callback: by_pose");
                size_t offset = 0;
                for (int count : poseCounts) {
                    if (offset + count > flat.size())
                        break;
                    value.byPose.emplace_back(flat.begin() + offset, flat.begin() + offset + count);
                    offset += count;
                }
                if (offset != flat.size() || value.byPose.size() != poseCounts.size()) {
                    PyErr_Format(PyExc_ValueError,
                                 "the set loss callback: %zu derivatives by the pose predictions; "
                                 "expected %zu, one per pose",
                                 flat.size(), poses.size());
                    throw PythonErrorRaised();
                }
            }
        } catch (...) {
            Py_DECREF(result);
            throw;
        }
        Py_DECREF(result);
        return value;
    };
}

/**
 * Wrap a Python callable as the callback of PoseArrayModel::forEachPoseGradient(), which runs
 * with the GIL released: it takes the GIL and calls the callable with a dict per pose (see
 * poseGradientToDict()); an exception the callable raises ends the loop and reaches the
 * caller unchanged.
 */
inline std::function<void(const PoseGradientArrays&)> poseGradientCallback(PyObject* callable) {
    return [callable](const PoseGradientArrays& gradient) {
        GilHold hold;
        PyObject* argument = poseGradientToDict(gradient);
        PyObject* result = PyObject_CallFunctionObjArgs(callable, argument, nullptr);
        Py_DECREF(argument);
        Py_XDECREF(checked(result));
    };
}

/**
 * Raise openmm.OpenMMException, the exception of OpenMM's own Python module, so that one
 * except clause catches errors of OpenMM and of this plugin alike (RuntimeError if openmm
 * cannot be imported).
 */
inline void raiseOpenMMException(const char* message) {
    PyObject* module = PyImport_ImportModule("openmm");
    PyObject* type = module != nullptr ? PyObject_GetAttrString(module, "OpenMMException") : nullptr;
    PyErr_Clear();
    PyErr_SetString(type != nullptr ? type : PyExc_RuntimeError, message);
    Py_XDECREF(type);
    Py_XDECREF(module);
}

/**
 * A read-only view of a C-contiguous buffer of float64 values (a numpy array, a bytes
 * object, an array.array('d')), released when the view goes.
 */
class DoubleBufferView {
public:
    /** Returns false, with a Python TypeError set, unless the object exposes such a buffer. */
    bool open(PyObject* object, const char* argument) {
        if (PyObject_GetBuffer(object, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
            PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous float64 array, found %s", argument,
                         Py_TYPE(object)->tp_name);
            return false;
        }
        opened = true;
        const std::string format = view.format != nullptr ? view.format : "B";
        if (view.itemsize != sizeof(double) || (format != "d" && format != "=d" && format != "<d" && format != "@d")) {
            PyErr_Format(PyExc_TypeError, "%s: expected float64 values, found buffer format '%s' with %zd-byte items",
                         argument, format.c_str(), view.itemsize);
            return false;
        }
        return true;
    }
    const double* data() const {
        return static_cast<const double*>(view.buf);
    }
    size_t count() const {
        return static_cast<size_t>(view.len / sizeof(double));
    }
    ~DoubleBufferView() {
        if (opened)
            PyBuffer_Release(&view);
    }

private:
    Py_buffer view{};
    bool opened = false;
};

} // namespace AffinityPython

#endif
