// SPDX-License-Identifier: MIT
#ifndef CUDA_AFFINITY_KERNELS_H_
#define CUDA_AFFINITY_KERNELS_H_

#include "AffinityKernels.h"
#include "openmm/cuda/CudaContext.h"
#include <cuda.h>
#include <memory>

namespace AffinityPlugin {

/**
 * The CUDA platform's AffinityForce kernel. LibTorch runs the model on the Context's device,
 * in float32 for single and mixed precision and float64 for double precision. Positions are
 * gathered from OpenMM's device arrays and forces added to its fixed-point force buffer by
 * device operations, with no copy through the host; the whole evaluation can be captured in a
 * CUDA graph (property useCUDAGraphs). LibTorch's work is ordered with OpenMM's on the device,
 * so the host waits only when OpenMM asks for the energy.
 */
class CudaCalcAffinityForceKernel : public CalcAffinityForceKernel {
public:
    CudaCalcAffinityForceKernel(const std::string& name, const OpenMM::Platform& platform, OpenMM::CudaContext& cu);
    ~CudaCalcAffinityForceKernel();
    void initialize(const OpenMM::System& system, const AffinityForce& force) override;
    double execute(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy) override;
    void copyParametersToContext(OpenMM::ContextImpl& context, const AffinityForce& force) override;
    std::vector<double> computePoseEnergies(OpenMM::ContextImpl& context, const PoseEnsemble& poses) override;

private:
    struct State;
    std::unique_ptr<State> state;
    OpenMM::CudaContext& cu;
    CUcontext primaryContext = nullptr;
};

} // namespace AffinityPlugin

#endif
