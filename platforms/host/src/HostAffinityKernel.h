// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_HOST_KERNEL_H_
#define OPENMM_AFFINITY_HOST_KERNEL_H_

#include "AffinityKernels.h"
#include <memory>

namespace AffinityPlugin {

/**
 * The CalcAffinityForceKernel of the platforms whose positions and forces live in host
 * memory (Reference and CPU, which share ReferencePlatform::PlatformData). The two differ
 * only in precision and threads, which the platform kernels pass in; LibTorch stays out of
 * this header so that they compile without it.
 *
 * It reads OpenMM's Reference platform data, so it belongs to the platforms, not to the core:
 * both platform plugins link it from a static library of their own (OpenMMAffinityHostKernel).
 */
class HostAffinityKernel : public CalcAffinityForceKernel {
public:
    /**
     * @param alwaysDouble  evaluate in float64 whatever the model's dtype (Reference); otherwise
     *                      in the model's own floating-point dtype
     * @param numThreads    LibTorch's intra-op threads, or 0 to leave them as they are
     */
    HostAffinityKernel(const std::string& name, const OpenMM::Platform& platform, bool alwaysDouble, int numThreads);
    ~HostAffinityKernel();
    void initialize(const OpenMM::System& system, const AffinityForce& force) override;
    double execute(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy) override;
    void copyParametersToContext(OpenMM::ContextImpl& context, const AffinityForce& force) override;
    std::vector<double> computePoseEnergies(OpenMM::ContextImpl& context, const PoseEnsemble& poses) override;

private:
    struct State;
    std::unique_ptr<State> state;
    bool alwaysDouble;
    int numThreads;
};

} // namespace AffinityPlugin

#endif
