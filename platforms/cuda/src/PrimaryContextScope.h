// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PRIMARY_CONTEXT_SCOPE_H_
#define OPENMM_AFFINITY_PRIMARY_CONTEXT_SCOPE_H_

#include "openmm/OpenMMException.h"
#include <cuda.h>
#include <string>

namespace AffinityPlugin {

/**
 * Makes a device's primary CUDA context current for a block of code.
 *
 * OpenMM's CUDA platform runs in a context of its own, while LibTorch always uses the
 * device's primary context. Both address the same device memory, but work in one context is
 * not ordered with work in the other, so the kernel synchronises when it crosses over and
 * runs every LibTorch call inside one of these scopes.
 */
class PrimaryContextScope {
public:
    explicit PrimaryContextScope(CUcontext primary) {
        check(cuCtxPushCurrent(primary), "make the primary CUDA context current");
    }
    ~PrimaryContextScope() {
        CUcontext popped;
        cuCtxPopCurrent(&popped);
    }
    PrimaryContextScope(const PrimaryContextScope&) = delete;
    PrimaryContextScope& operator=(const PrimaryContextScope&) = delete;

    /** Throw an OpenMMException naming the action if a driver call failed. */
    static void check(CUresult result, const std::string& action) {
        if (result == CUDA_SUCCESS)
            return;
        const char* name = nullptr;
        cuGetErrorName(result, &name);
        throw OpenMM::OpenMMException("AffinityForce: cannot " + action + ": CUDA error " +
                                      std::string(name ? name : "unknown") + " (" + std::to_string((int)result) + ")");
    }
};

} // namespace AffinityPlugin

#endif
