// SPDX-License-Identifier: MIT
#ifndef REFERENCE_AFFINITY_KERNELS_H_
#define REFERENCE_AFFINITY_KERNELS_H_

#include "HostAffinityKernel.h"

namespace AffinityPlugin {

/**
 * The Reference platform's AffinityForce kernel: the model always runs in float64 on the
 * CPU, so that Reference results are the accurate ones other platforms are compared with.
 */
class ReferenceCalcAffinityForceKernel : public HostAffinityKernel {
public:
    ReferenceCalcAffinityForceKernel(const std::string& name, const OpenMM::Platform& platform)
        : HostAffinityKernel(name, platform, /*alwaysDouble=*/true, /*numThreads=*/0) {}
};

} // namespace AffinityPlugin

#endif
