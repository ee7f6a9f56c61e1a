// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_CUDA_FORCE_STEP_H_
#define OPENMM_AFFINITY_CUDA_FORCE_STEP_H_

#include "CudaParticleArrays.h"
#include "internal/CapturedCall.h"
#include "internal/ForceBinding.h"

namespace AffinityPlugin {

/**
 * The AffinityForce's part of an MD step, queued on the current (LibTorch) stream: the
 * positions gathered from OpenMM's device arrays, the energy, forces and parameter derivatives
 * of ForceBinding::evaluate(), and the forces added into OpenMM's force buffer. Nothing is read
 * back.
 *
 * With CUDA graphs, the whole of it is captured after a number of eager warm-up calls
 * (TorchScript profiles and optimises the model during its first calls) and replayed with one
 * launch from then on: a single pose is otherwise bound by the host's cost of launching the
 * model's few hundred small kernels. The graph reads OpenMM's arrays at their fixed device
 * addresses, the periodic box from a tensor of its own that is refreshed before a replay
 * when the box has changed, and the global parameters from the scorer's tensor, which is
 * refreshed in place likewise.
 */
class CudaForceStep {
public:
    /**
     * @param binding      the force's model and particles; it must outlive this object
     * @param arrays       where the particles sit in OpenMM's arrays; it must outlive this object
     * @param useGraph     capture and replay a CUDA graph after the warm-up calls
     * @param warmupCalls  eager calls before the capture, ≥ 1
     */
    CudaForceStep(ForceBinding& binding, CudaParticleArrays& arrays, OpenMM::CudaContext& cu, bool useGraph,
                  int warmupCalls);
    /** Queue one evaluation for the box vectors a, b, c on the current CUDA stream. */
    void enqueue(const OpenMM::Vec3& a, const OpenMM::Vec3& b, const OpenMM::Vec3& c);
    /** The energy [1,1] (kJ/mol) of the last evaluation, on the device; overwritten by the next. */
    const torch::Tensor& energy() const {
        return energyTensor;
    }
    /** dE/dλ [D] of the last evaluation for the force's energy parameter derivatives, or undefined. */
    const torch::Tensor& parameterDerivatives() const {
        return derivativesTensor;
    }
    /** The positions [N,3] gathered from OpenMM for the last evaluation, on the device. */
    const torch::Tensor& positions() const {
        return positionsTensor;
    }

private:
    void evaluate();
    void setBox(const OpenMM::Vec3& a, const OpenMM::Vec3& b, const OpenMM::Vec3& c);
    ForceBinding& binding;
    CudaParticleArrays& arrays;
    OpenMM::CudaContext& cu;
    CapturedCall call;
    torch::Tensor box; // [3,3] on the device, rows a, b, c; only used when periodic
    OpenMM::Vec3 boxVectors[3];
    bool boxSet = false;
    torch::Tensor positionsTensor, energyTensor, derivativesTensor;
};

} // namespace AffinityPlugin

#endif
