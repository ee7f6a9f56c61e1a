// SPDX-License-Identifier: MIT
// The SWIG interface of the Python module openmmaffinity.
//
// It imports the interface of OpenMM's own Python module (the swig/ files that the openmm
// wheel installs), so that an AffinityForce is an openmm.Force: a System takes it, the
// XmlSerializer writes it, and a Force from System.getForce() casts back to it. The classes
// come from the plugin's headers, whose doxygen comments become the docstrings (-doxygen).
// Arrays cross as buffers of float64 (numpy arrays in, bytearrays out); the package's pure
// Python code turns them into numpy arrays with the shapes users expect.

%module(package="openmmaffinity") openmmaffinity

%include <std_string.i>
%include <std_vector.i>
%include <std_map.i>
%include <typemaps.i>

// Containers become Python tuples and dicts rather than proxy classes of their own, so they
// cannot clash with the container classes of OpenMM's module.
// OpenMM's typemaps (units stripped from numbers, Vec3) and its classes. Its interface warns
// of its nested classes, of a member named None and of OUTPUT typemaps that live in the part
// of OpenMM's interface the wheel does not ship; none of them takes part in this module.
%include "swig/typemaps.i"
#pragma SWIG nowarn=314,325,453
%import(module="openmm") "swig/OpenMMSwigHeaders.i"
#pragma SWIG nowarn=

// Containers become Python tuples and dicts rather than proxy classes of their own, so they
// cannot clash with the container classes of OpenMM's module. (Declared after OpenMM's
// typemaps, whose std::vector<double> conversion needs numpy's C API, so that these win.)
%template() std::vector<int>;
%template() std::vector<bool>;
%template() std::vector<double>;
%template() std::vector<std::string>;
%template() std::map<std::string, std::string>;

// Known to SWIG by its qualified name; it crosses only through the typemaps below.
namespace AffinityPython {
struct ModelBytes;
}

%{
#include "AffinityDefaults.h"
#include "AffinityForce.h"
#include "AffinityLoss.h"
#include "AffinityUnits.h"
#include "AffinityVersion.h"
#include "Combination.h"
#include "LigandSetLoss.h"
#include "ModelBytes.h"
// Every class that OpenMM's interface declares, for the casts SWIG emits between them.
#include "OpenMM.h"
#include "OpenMMAmoeba.h"
#include "OpenMMDrude.h"
#include "openmm/RPMDIntegrator.h"
#include "openmm/RPMDMonteCarloBarostat.h"
#include "PoseArrays.h"
#include "PoseArrayModel.h"
#include "PythonValues.h"
#include "openmm/OpenMMException.h"
%}

#define OPENMM_EXPORT_AFFINITY

// The defaults and the unit factor of the plugin, written once in AffinityDefaults.h and
// AffinityUnits.h; the Python functions take their defaults from these module constants.
%constant double DEFAULT_TEMPERATURE = AffinityPlugin::DefaultTemperature;
%constant double DEFAULT_MEMORY_BUDGET_MIB = AffinityPlugin::DefaultMemoryBudgetMiB;
%constant double DEFAULT_SMOOTH_MAX_SCALE = AffinityPlugin::DefaultSmoothMaxScale;
%constant double DEFAULT_POCKET_CUTOFF_NM = AffinityPlugin::DefaultPocketCutoffNm;
%constant double NM_PER_ANGSTROM = AffinityPlugin::NmPerAngstrom;
%constant double KJ_PER_KCAL = AffinityPlugin::KJPerKcal;
// The version, from project(VERSION) of the top-level CMakeLists.txt through AffinityVersion.h.
%constant const char* VERSION = OPENMM_AFFINITY_VERSION;

// C++ exceptions become Python exceptions with the same message: OpenMM's own
// openmm.OpenMMException for the errors that the plugin reports, RuntimeError for anything
// else from C++, and a Python exception raised by a callback reaches the caller unchanged.
%define AFFINITY_EXCEPTION_HANDLERS
    catch (const AffinityPython::PythonErrorRaised&) {
        SWIG_fail;
    } catch (const OpenMM::OpenMMException& e) {
        AffinityPython::raiseOpenMMException(e.what());
        SWIG_fail;
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
        SWIG_fail;
    }
%enddef
%exception {
    try {
        $action
    }
    AFFINITY_EXCEPTION_HANDLERS
}

// Calls that run a model release the GIL while they do: LibTorch's autograd engine refuses to
// run while it is held (once torch is imported), and other Python threads may go on. The
// handlers run after the GIL is taken back, when the GilRelease is gone.
%define AFFINITY_RELEASE_GIL(name)
%exception name {
    try {
        AffinityPython::GilRelease released;
        $action
    }
    AFFINITY_EXCEPTION_HANDLERS
}
%enddef
AFFINITY_RELEASE_GIL(AffinityPlugin::AffinityForce::_computePoseEnergies)
AFFINITY_RELEASE_GIL(AffinityPlugin::AffinityForce::updateParametersInContext)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::PoseArrayModel)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::setTensorValues)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::poseEnergies)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::combinedGradient)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::_forEachPoseGradient)
AFFINITY_RELEASE_GIL(AffinityPython::PoseArrayModel::withTopology)
AFFINITY_RELEASE_GIL(AffinityPython::LigandSet::addLigand)
AFFINITY_RELEASE_GIL(AffinityPython::LigandSet::combinedGradient)
AFFINITY_RELEASE_GIL(AffinityPython::LigandSet::evaluate)
AFFINITY_RELEASE_GIL(AffinityPython::LigandSet::score)
AFFINITY_RELEASE_GIL(AffinityPython::LigandSet::backpropagate)
AFFINITY_RELEASE_GIL(_torchScriptSetLoss)

// ---- Typemaps -----------------------------------------------------------------------------

// Poses: any C-contiguous float64 buffer; the package hands over numpy arrays [P,N,3] in nm.
%typemap(in) (const double* positions, size_t count) (AffinityPython::DoubleBufferView view) {
    if (!view.open($input, "$symname: positions"))
        SWIG_fail;
    $1 = ($1_ltype) view.data();
    $2 = view.count();
}
%typemap(typecheck) (const double* positions, size_t count) {
    $1 = PyObject_CheckBuffer($input) ? 1 : 0;
}
%typemap(in) (const double* values, size_t count) = (const double* positions, size_t count);
%typemap(typecheck) (const double* values, size_t count) = (const double* positions, size_t count);

// The contents of a TorchScript file: bytes, bytearray or memoryview.
%typemap(in) const AffinityPython::ModelBytes& (AffinityPython::ModelBytes temp, Py_buffer view) {
    if (PyUnicode_Check($input) || PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "$symname: expected the bytes of a TorchScript file, found %s",
                     Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
    temp.bytes.assign(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
    PyBuffer_Release(&view);
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_STRING) const AffinityPython::ModelBytes& {
    $1 = (!PyUnicode_Check($input) && PyObject_CheckBuffer($input)) ? 1 : 0;
}
%typemap(out) const std::string& AffinityPlugin::AffinityForce::getModelBytes {
    $result = PyBytes_FromStringAndSize($1->data(), static_cast<Py_ssize_t>($1->size()));
}

// Results: dicts whose arrays are bytearrays of float64 (see PythonValues.h).
%typemap(out) AffinityPython::CombinedGradientArrays {
    $result = AffinityPython::combinedGradientToDict($1);
}

%typemap(out) AffinityPython::SetGradientArrays {
    $result = AffinityPython::setGradientToDict($1);
}

%apply int& OUTPUT { int& systemIndex, int& atomicNumber };
%apply bool& OUTPUT { bool& isLigand };

// ---- AffinityForce ------------------------------------------------------------------------

%feature("pythonprepend") AffinityPlugin::AffinityForce::AffinityForce %{
    args = _model_arguments("AffinityForce", args)
%}
// Containers come back as plain tuples and dicts: OpenMM's module has proxy classes for them,
// which SWIG would otherwise hand out, and those compare by identity.
%pythonappend AffinityPlugin::AffinityForce::getAtomicNumbers %{
    val = tuple(val)
%}
%pythonappend AffinityPlugin::AffinityForce::getLigandMask %{
    val = tuple(val)
%}
%pythonappend AffinityPlugin::AffinityForce::getProperties %{
    val = dict(val)
%}
%pythonappend AffinityPlugin::AffinityLoss::getPoseTargets %{
    val = tuple(val)
%}
// The result of cast() refers to the Force it was given: keep that Force's Python object
// (which may own it, as after XmlSerializer.deserialize) alive as long as the result.
%pythonappend AffinityPlugin::AffinityForce::cast %{
    val._castFrom = force
%}
%ignore AffinityPlugin::AffinityForce::fromModelBytes;
%ignore AffinityPlugin::AffinityForce::computePoseEnergies;
%newobject AffinityPlugin::AffinityForce::fromModelBytes;

%include "AffinityForce.h"

%extend AffinityPlugin::AffinityForce {
    /** Create an AffinityForce from the bytes of a TorchScript file (bytes, bytearray, memoryview). */
    AffinityForce(const AffinityPython::ModelBytes& modelBytes,
                  const std::map<std::string, std::string>& properties = std::map<std::string, std::string>()) {
        return AffinityPlugin::AffinityForce::fromModelBytes(modelBytes.bytes, properties);
    }
    /** Get a Force of a System as the AffinityForce it is; raises OpenMMException if it is another kind. */
    static AffinityPlugin::AffinityForce& cast(OpenMM::Force& force) {
        AffinityPlugin::AffinityForce* affinity = dynamic_cast<AffinityPlugin::AffinityForce*>(&force);
        if (affinity == nullptr)
            throw OpenMM::OpenMMException("AffinityForce.cast: the force is a " + force.getName() +
                                          "; expected an AffinityForce");
        return *affinity;
    }
    /** Whether a Force is an AffinityForce. */
    static bool isinstance(OpenMM::Force& force) {
        return dynamic_cast<AffinityPlugin::AffinityForce*>(&force) != nullptr;
    }
    std::vector<double> _computePoseEnergies(OpenMM::Context& context, const double* positions, size_t count) {
        return AffinityPython::computePoseEnergies(*$self, context, positions, count);
    }
    %pythoncode %{
    @staticmethod
    def fromModelBytes(modelBytes, properties=None):
        """Create an AffinityForce from the bytes of a TorchScript file (as torch.jit.save writes them)."""
        return AffinityForce(bytes(modelBytes), {} if properties is None else properties)

    def addParticles(self, systemIndices, atomicNumbers, ligandMask):
        """Add particles from arrays: their indices in the System, atomic numbers (1-118) and ligand
        flags (bool), one entry per particle, in the order the model sees them.

        Returns the force's index of the first particle added."""
        from ._arrays import particle_arrays
        indices, numbers, mask = particle_arrays(systemIndices, atomicNumbers, ligandMask)
        first = self.getNumParticles()
        for index, number, isLigand in zip(indices.tolist(), numbers.tolist(), mask.tolist()):
            self.addParticle(index, number, isLigand)
        return first

    def computePoseEnergies(self, context, poses, unit="kJ/mol"):
        """The energy of each pose, in kJ/mol (or unit="kcal/mol"), as a numpy array [P], computed on
        the platform and device of a Context whose System holds this force; the Context's own
        positions are unchanged.

        poses: the positions of this force's particles, in force order, for P poses: an array
        [P,N,3] (or [N,3] for one pose) in nm, a list, or an openmm.unit.Quantity."""
        import numpy
        from ._arrays import pose_array
        from ._units import per_kj
        from openmm import Context
        factor = per_kj(unit, "computePoseEnergies")
        if not isinstance(context, Context):
            raise TypeError("computePoseEnergies: context: expected an openmm.Context, found %s"
                            % type(context).__name__)
        array = pose_array(poses, self.getNumParticles() or None, "computePoseEnergies")
        return numpy.array(self._computePoseEnergies(context, array), dtype=numpy.float64) * factor

    # Copies and pickles go through XmlSerializer, as those of OpenMM's own Forces do: the state
    # is the force's XML (the model embedded), and a copy is a new C++ AffinityForce made from it.
    def __getstate__(self):
        from openmm import XmlSerializer
        return XmlSerializer.serialize(self)

    def __setstate__(self, state):
        from openmm import XmlSerializer
        restored = XmlSerializer.deserialize(state)
        affinity = AffinityForce.cast(restored)
        # Take the C++ object over from the deserialized Force, under this class's pointer type.
        restored.thisown = False
        self.this = affinity.this
        self.thisown = True

    def __copy__(self):
        copied = AffinityForce.__new__(AffinityForce)
        copied.__setstate__(self.__getstate__())
        return copied

    def __deepcopy__(self, memo):
        return self.__copy__()
    %}
}

// ---- Combinations and losses --------------------------------------------------------------

%ignore AffinityPlugin::CombinationResult;
%ignore AffinityPlugin::Combination::combine;
%ignore AffinityPlugin::Combination::fromName;
%ignore AffinityPlugin::Combination::weightExponent;
%ignore AffinityPlugin::Combination::deltaG;
%ignore AffinityPlugin::Combination::gradientCoefficients;
%ignore AffinityPlugin::MeanCombination::weightExponent;
%ignore AffinityPlugin::MeanCombination::deltaG;
%ignore AffinityPlugin::MeanCombination::gradientCoefficients;
%ignore AffinityPlugin::MaxCombination::weightExponent;
%ignore AffinityPlugin::MaxCombination::deltaG;
%ignore AffinityPlugin::MaxCombination::gradientCoefficients;
%ignore AffinityPlugin::BoltzmannCombination::weightExponent;
%ignore AffinityPlugin::BoltzmannCombination::deltaG;
%ignore AffinityPlugin::BoltzmannCombination::gradientCoefficients;
%ignore AffinityPlugin::softmaxWeights;
%ignore AffinityPlugin::logSumExp;

%include "Combination.h"

%extend AffinityPlugin::Combination {
    PyObject* _combine(const std::vector<double>& energies, double temperature) const {
        const AffinityPlugin::CombinationResult result = $self->combine(energies, temperature);
        PyObject* dict = AffinityPython::checked(PyDict_New());
        AffinityPython::setItem(dict, "delta_g", AffinityPython::checked(PyFloat_FromDouble(result.deltaG)));
        AffinityPython::setItem(dict, "weights", AffinityPython::doublesToBytearray(result.weights));
        AffinityPython::setItem(dict, "coefficients", AffinityPython::doublesToBytearray(result.coefficients));
        return dict;
    }
    %pythoncode %{
    def combine(self, energies, temperature=DEFAULT_TEMPERATURE, unit="kJ/mol"):
        """Combine per-pose energies G_n (in unit: "kJ/mol" or "kcal/mol") into one ΔG at a
        temperature (K).

        Returns a Combined with delta_g (in unit), the pose weights and c_n = ∂ΔG/∂G_n as numpy arrays."""
        import numpy
        from ._results import Combined
        from ._units import per_kj
        factor = per_kj(unit, "combine")
        kj = (numpy.asarray(energies, dtype=numpy.float64) / factor).tolist()
        return Combined.from_dict(self._combine(kj, temperature), factor)
    %}
}

// Readout::None would be a Python keyword.
%rename(DeltaG) AffinityPlugin::Readout::None;
// A copy, so that the Readout stays valid after its loss is gone.
%ignore AffinityPlugin::AffinityLoss::getReadout;
%rename(getReadout) AffinityPlugin::AffinityLoss::readoutCopy;
%extend AffinityPlugin::AffinityLoss {
    /** Get the readout of ΔG that the target is compared with (a copy). */
    AffinityPlugin::Readout readoutCopy() const {
        return $self->getReadout();
    }
}

%include "AffinityLoss.h"

// ---- Losses over sets of ligands ----------------------------------------------------------

// The formula's inputs and outputs stay in C++: Python gives losses by name, as objects of
// these classes, as TorchScript modules or as torch functions (the module ligand_sets).
%ignore AffinityPlugin::LigandSetValues;
%ignore AffinityPlugin::SetLossInput;
%ignore AffinityPlugin::SetLossValue;
%ignore AffinityPlugin::LigandSetLoss::validate;
%ignore AffinityPlugin::LigandSetLoss::evaluate;
%ignore AffinityPlugin::LigandSetLoss::evaluateFormula;
%ignore AffinityPlugin::LigandSetLoss::addPoseTerms;
%ignore AffinityPlugin::LigandSetLoss::poseTermDerivative;
%ignore AffinityPlugin::LigandSetLoss::getReadout;
%ignore AffinityPlugin::LigandSetLoss::getPoseReadout;
%rename(getReadout) AffinityPlugin::LigandSetLoss::readoutCopy;
%rename(getPoseReadout) AffinityPlugin::LigandSetLoss::poseReadoutCopy;
%ignore AffinityPlugin::CallableSetLoss;
%ignore AffinityPlugin::TorchScriptSetLoss::TorchScriptSetLoss;
%ignore AffinityPlugin::TorchScriptSetLoss::fromBytes;
%ignore AffinityPlugin::ligandSetLossFromName;
%extend AffinityPlugin::LigandSetLoss {
    /** Get the readout of ΔG_l that the loss sees (a copy). */
    AffinityPlugin::Readout readoutCopy() const {
        return $self->getReadout();
    }
    /** Get the readout of G_l,n that the loss sees (a copy). */
    AffinityPlugin::Readout poseReadoutCopy() const {
        return $self->getPoseReadout();
    }
}
%newobject _torchScriptSetLoss;
%newobject _pythonSetLoss;

%include "LigandSetLoss.h"

%inline %{
/** A TorchScriptSetLoss from the bytes of a TorchScript file. */
AffinityPlugin::TorchScriptSetLoss* _torchScriptSetLoss(const AffinityPython::ModelBytes& bytes) {
    return new AffinityPlugin::TorchScriptSetLoss(AffinityPlugin::TorchScriptSetLoss::fromBytes(bytes.bytes));
}
/** A LigandSetLoss whose formula is a Python callable (see PythonValues.h). */
AffinityPlugin::LigandSetLoss* _pythonSetLoss(PyObject* callable, const std::string& name) {
    return new AffinityPlugin::CallableSetLoss(AffinityPython::pythonSetLossFormula(callable), name);
}
%}

// ---- The Context-free scorer, wrapped by the Python class openmmaffinity.Scorer -----------

%rename(_PoseArrayModel) AffinityPython::PoseArrayModel;
%ignore AffinityPython::NamedArray;
%ignore AffinityPython::PoseGradientArrays;
%ignore AffinityPython::CombinedGradientArrays;
%ignore AffinityPython::PoseArrayModel::forEachPoseGradient;
%ignore AffinityPython::SetGradientArrays;
%rename(_LigandSet) AffinityPython::LigandSet;
%newobject AffinityPython::PoseArrayModel::withTopology;

%include "PoseArrayModel.h"

%extend AffinityPython::PoseArrayModel {
    void _forEachPoseGradient(const double* positions, size_t count, PyObject* callback, bool positionGradients) {
        $self->forEachPoseGradient(positions, count, AffinityPython::poseGradientCallback(callback), positionGradients);
    }
}

// ---- The docking-file readers of the command-line tools, wrapped by openmmaffinity.docking ---

#ifdef AFFINITY_DOCKING_FILES
%rename(_ReceptorAtoms) AffinityPython::ReceptorAtoms;
%rename(_LigandPoseRecords) AffinityPython::LigandPoseRecords;
%rename(_PoseFileReader) AffinityPython::PoseFileReader;
%rename(_PocketComplexArrays) AffinityPython::PocketComplexArrays;
%newobject AffinityPython::PoseFileReader::next;
%nodefaultctor AffinityPython::LigandPoseRecords;
%{
#include "DockingFiles.h"
%}
%include "DockingFiles.h"
#endif

%pythoncode %{
from ._model_source import model_arguments as _model_arguments
%}
