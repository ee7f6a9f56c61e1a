// SPDX-License-Identifier: MIT
#ifndef CPU_AFFINITY_KERNELS_H_
#define CPU_AFFINITY_KERNELS_H_

#include "HostAffinityKernel.h"

namespace AffinityPlugin {

/**
 * The CPU platform's AffinityForce kernel: the model runs in its own dtype (float32 models
 * stay float32, which is where the CPU platform gains over Reference) with as many LibTorch
 * threads as the CPU platform's Threads property.
 */
class CpuCalcAffinityForceKernel : public HostAffinityKernel {
public:
    CpuCalcAffinityForceKernel(const std::string& name, const OpenMM::Platform& platform, int numThreads)
        : HostAffinityKernel(name, platform, /*alwaysDouble=*/false, numThreads) {}
};

} // namespace AffinityPlugin

#endif
