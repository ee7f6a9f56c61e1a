// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PYTHON_MODEL_BYTES_H_
#define OPENMM_AFFINITY_PYTHON_MODEL_BYTES_H_

#include <string>

namespace AffinityPython {

/**
 * The contents of a TorchScript file as Python hands them over (bytes, bytearray, memoryview).
 *
 * A type of its own, rather than a std::string, so that SWIG's overload resolution sends a
 * str (a file name) and a bytes object (a model) to different constructors of AffinityForce.
 */
struct ModelBytes {
    std::string bytes;
};

} // namespace AffinityPython

#endif
