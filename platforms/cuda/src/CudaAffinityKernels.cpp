// SPDX-License-Identifier: MIT
#include "CudaAffinityKernels.h"
#include "ContextHandoff.h"
#include "CudaForceStep.h"
#include "CudaParticleArrays.h"
#include "DeferredEnergyCheck.h"
#include "PrimaryContextScope.h"
#include "internal/ForceBinding.h"
#include "openmm/internal/ContextImpl.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cmath>

using namespace AffinityPlugin;
using namespace OpenMM;

struct CudaCalcAffinityForceKernel::State {
    ForceBinding binding;
    CudaParticleArrays arrays;
    /** LibTorch's work for this force runs here, ordered with OpenMM's stream by `handoff`. */
    c10::cuda::CUDAStream stream;
    std::unique_ptr<ContextHandoff> handoff;
    std::unique_ptr<CudaForceStep> step;
    DeferredEnergyCheck energyCheck;
};

CudaCalcAffinityForceKernel::CudaCalcAffinityForceKernel(const std::string& name, const Platform& platform,
                                                         CudaContext& cu)
    : CalcAffinityForceKernel(name, platform), cu(cu) {
    PrimaryContextScope::check(cuDevicePrimaryCtxRetain(&primaryContext, cu.getDevice()),
                               "retain the device's primary context for LibTorch");
}

CudaCalcAffinityForceKernel::~CudaCalcAffinityForceKernel() {
    if (state) {
        // LibTorch's tensors belong to the primary context: free them while it is current.
        PrimaryContextScope scope(primaryContext);
        state->stream.synchronize(); // the device may still run a step that reads these tensors
        state.reset();
    }
    cuDevicePrimaryCtxRelease(cu.getDevice());
}

void CudaCalcAffinityForceKernel::initialize(const System& system, const AffinityForce& force) {
    PrimaryContextScope scope(primaryContext);
    const torch::Device device(torch::kCUDA, cu.getDeviceIndex());
    c10::cuda::CUDAGuard deviceGuard(device);
    ForceBinding binding =
        ForceBinding::of(force, system, device, cu.getUseDoublePrecision() ? torch::kFloat64 : torch::kFloat32);
    for (const std::string& name : binding.derivativeNames)
        cu.addEnergyParameterDerivative(name);
    CudaParticleArrays arrays(binding.particles.systemIndices, device);
    state.reset(new State{std::move(binding),
                          std::move(arrays),
                          c10::cuda::getStreamFromPool(false, device.index()),
                          std::make_unique<ContextHandoff>(cu, primaryContext),
                          nullptr,
                          {}});
}

double CudaCalcAffinityForceKernel::execute(ContextImpl& context, bool includeForces, bool includeEnergy) {
    ForceBinding& binding = state->binding;
    Vec3 a, b, c;
    cu.getPeriodicBoxVectors(a, b, c);
    // LibTorch's stream waits on the device for OpenMM's kernels that wrote the positions, and
    // OpenMM's stream for the forces; the host only waits when OpenMM asks for the energy.
    state->handoff->torchAfterOpenMM(state->stream.stream());
    PrimaryContextScope scope(primaryContext);
    c10::cuda::CUDAStreamGuard streamGuard(state->stream);
    {
        // A non-finite energy of an earlier step whose energy was not asked for.
        torch::Tensor earlier = state->energyCheck.arrived();
        if (earlier.defined())
            binding.scorer.getModel().checkFinite(earlier.flatten());
    }
    // Values that OpenMM holds on the host, copied in place so that a captured graph reads them.
    binding.scorer.setGlobalParameters(binding.globalParameterValues(context));
    torch::Tensor energy, positions, derivatives;
    if (includeForces) {
        if (!state->step)
            state->step = std::make_unique<CudaForceStep>(binding, state->arrays, cu, binding.properties.useCUDAGraphs,
                                                          binding.properties.cudaGraphWarmupSteps);
        state->step->enqueue(a, b, c);
        energy = state->step->energy();
        positions = state->step->positions();
        derivatives = state->step->parameterDerivatives();
    } else {
        positions = state->arrays.gatherPositions(cu, binding.scorer.getDtype());
        torch::Tensor box;
        if (binding.periodic)
            box = boxTensor(a, b, c, positions.options());
        ForceEvaluation result = binding.evaluate(positions, box, /*includeForces=*/false, /*checkFinite=*/false);
        energy = result.energy;
        derivatives = result.parameterDerivatives;
    }
    if (derivatives.defined()) {
        // Read back (the host waits) only for a force that asks for parameter derivatives.
        torch::Tensor values = derivatives.to(torch::kCPU, torch::kFloat64);
        std::map<std::string, double>& workspace = cu.getEnergyParamDerivWorkspace();
        for (size_t i = 0; i < binding.derivativeNames.size(); i++)
            workspace[binding.derivativeNames[i]] += values.data_ptr<double>()[i];
    }
    if (!includeEnergy)
        state->energyCheck.watch(energy); // before the hand-off, so OpenMM's stream waits for it too
    state->handoff->openmmAfterTorch(state->stream.stream());
    if (!includeEnergy)
        return 0.0;
    // Reading the energy back waits for the model. Only a non-finite energy makes the positions
    // be searched for the cause, so a healthy step pays for no extra read-back.
    const double result = energy.item<double>();
    if (!std::isfinite(result)) {
        torch::Tensor bad = (~torch::isfinite(positions)).any(1).nonzero();
        if (bad.numel() > 0)
            binding.reportNonFinitePosition((int)bad[0][0].item<int64_t>());
        binding.scorer.getModel().checkFinite(energy.flatten());
    }
    return result;
}

void CudaCalcAffinityForceKernel::copyParametersToContext(ContextImpl& context, const AffinityForce& force) {
    PrimaryContextScope scope(primaryContext);
    state->stream.synchronize(); // the device may still run a step that reads the old tensors
    state->binding.update(force, context.getSystem());
    state->step.reset(); // a captured graph read the old topology tensors
}

std::vector<double> CudaCalcAffinityForceKernel::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    PrimaryContextScope scope(primaryContext);
    ForceBinding& binding = state->binding;
    c10::cuda::CUDAGuard deviceGuard(binding.scorer.getDevice());
    binding.setContextInputs(context);
    return binding.scorer.poseEnergies(poses, binding.properties.poseBatchSize, binding.properties.poseMemoryBudgetMiB);
}
