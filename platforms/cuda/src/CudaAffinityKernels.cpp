#include "CudaAffinityKernels.h"
#include "CudaGraphModelCall.h"
#include "CudaParticleArrays.h"
#include "PrimaryContextScope.h"
#include "internal/ForceBinding.h"
#include "openmm/common/ContextSelector.h"
#include "openmm/internal/ContextImpl.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/autograd.h>
#include <cmath>

using namespace AffinityPlugin;
using namespace OpenMM;

struct CudaCalcAffinityForceKernel::State {
    ForceBinding binding;
    CudaParticleArrays arrays;
    std::unique_ptr<CudaGraphModelCall> graph;
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
    CudaParticleArrays arrays(binding.particles.systemIndices, device);
    state.reset(new State{std::move(binding), std::move(arrays), nullptr});
}

double CudaCalcAffinityForceKernel::execute(ContextImpl& context, bool includeForces, bool includeEnergy) {
    {
        // OpenMM's kernels that update the positions run in OpenMM's context: let them finish.
        ContextSelector selector(cu);
        PrimaryContextScope::check(cuStreamSynchronize(cu.getCurrentStream()), "synchronise OpenMM's stream");
    }
    PrimaryContextScope scope(primaryContext);
    ForceBinding& binding = state->binding;
    c10::cuda::CUDAGuard deviceGuard(binding.scorer.getDevice());
    Vec3 a, b, c;
    cu.getPeriodicBoxVectors(a, b, c);
    torch::Tensor x = binding.modelPositions(state->arrays.gatherPositions(cu, binding.scorer.getDtype()), a, b, c);
    torch::Tensor energy, gradient;
    if (!includeForces) {
        torch::NoGradGuard noGrad;
        energy = binding.scorer.energies(x.unsqueeze(0), false);
    } else if (binding.properties.useCUDAGraphs) {
        if (!state->graph)
            state->graph = std::make_unique<CudaGraphModelCall>(binding.scorer, (int) x.size(0),
                                                                binding.properties.cudaGraphWarmupSteps);
        std::tie(energy, gradient) = state->graph->run(x);
    } else {
        torch::Tensor leaf = x.unsqueeze(0).detach().requires_grad_(true);
        energy = binding.scorer.energies(leaf, false);
        gradient = torch::autograd::grad({energy}, {leaf})[0][0];
    }
    // Reading the energy back waits for the model; a non-finite energy stops here, before any
    // force reaches OpenMM. Only then are the positions searched for the cause, so a healthy
    // step pays for no extra read-back.
    const double result = energy.item<double>();
    if (!std::isfinite(result)) {
        torch::Tensor bad = (~torch::isfinite(x)).any(1).nonzero();
        if (bad.numel() > 0)
            binding.reportNonFinitePosition((int) bad[0][0].item<int64_t>());
        binding.scorer.getModel().checkFinite(energy);
    }
    if (includeForces) {
        state->arrays.addForces(cu, gradient);
        // OpenMM's later kernels run in its own context: the forces must be in place first.
        c10::cuda::getCurrentCUDAStream(binding.scorer.getDevice().index()).synchronize();
    }
    return result;
}

void CudaCalcAffinityForceKernel::copyParametersToContext(ContextImpl& context, const AffinityForce& force) {
    PrimaryContextScope scope(primaryContext);
    state->binding.update(force, context.getSystem());
    state->graph.reset(); // the captured graph read the old topology tensors
}

std::vector<double> CudaCalcAffinityForceKernel::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    PrimaryContextScope scope(primaryContext);
    ForceBinding& binding = state->binding;
    c10::cuda::CUDAGuard deviceGuard(binding.scorer.getDevice());
    return binding.scorer.poseEnergies(poses, binding.properties.poseBatchSize, binding.properties.poseMemoryBudgetMiB);
}
