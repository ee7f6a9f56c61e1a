#include "CudaAffinityKernels.h"
#include "AffinityProperties.h"
#include "AffinityScorer.h"
#include "CudaGraphModelCall.h"
#include "CudaParticleArrays.h"
#include "PrimaryContextScope.h"
#include "internal/ForceParticles.h"
#include "openmm/common/ContextSelector.h"
#include "openmm/internal/ContextImpl.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/autograd.h>
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using namespace OpenMM;

struct CudaCalcAffinityForceKernel::State {
    ForceParticles particles;
    AffinityProperties properties;
    bool periodic;
    AffinityScorer scorer;
    CudaParticleArrays arrays;
    torch::Tensor ligandAtoms;
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
    AffinityModel model = AffinityModel::fromForce(force);
    const torch::ScalarType dtype = cu.getUseDoublePrecision() ? torch::kFloat64 : torch::kFloat32;
    ForceParticles particles = ForceParticles::of(
        force, system, model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask);
    AffinityScorer scorer(model, particles.atomicNumbers, particles.ligandMask, device, dtype, force.getTemperature());
    CudaParticleArrays arrays(particles.systemIndices, device);
    torch::Tensor ligandAtoms = ligandAtomIndices(particles.ligandMask, device);
    state.reset(new State{std::move(particles), AffinityProperties::parse(force.getProperties()),
                          force.usesPeriodicBoundaryConditions(), std::move(scorer), std::move(arrays), ligandAtoms,
                          nullptr});
}

double CudaCalcAffinityForceKernel::execute(ContextImpl& context, bool includeForces, bool includeEnergy) {
    {
        // OpenMM's kernels that update the positions run in OpenMM's context: let them finish.
        ContextSelector selector(cu);
        PrimaryContextScope::check(cuStreamSynchronize(cu.getCurrentStream()), "synchronise OpenMM's stream");
    }
    PrimaryContextScope scope(primaryContext);
    c10::cuda::CUDAGuard deviceGuard(state->scorer.getDevice());
    torch::Tensor x = state->arrays.gatherPositions(cu, state->scorer.getDtype());
    if (state->periodic) {
        Vec3 a, b, c;
        cu.getPeriodicBoxVectors(a, b, c);
        x = imageAroundLigand(x, boxTensor(a, b, c, x.options()), state->ligandAtoms);
    }
    torch::Tensor energy, gradient;
    if (!includeForces) {
        torch::NoGradGuard noGrad;
        energy = state->scorer.energies(x.unsqueeze(0), false);
    } else if (state->properties.useCUDAGraphs) {
        if (!state->graph)
            state->graph = std::make_unique<CudaGraphModelCall>(state->scorer, (int) x.size(0),
                                                                state->properties.cudaGraphWarmupSteps);
        std::tie(energy, gradient) = state->graph->run(x);
    } else {
        torch::Tensor leaf = x.unsqueeze(0).detach().requires_grad_(true);
        energy = state->scorer.energies(leaf, false);
        gradient = torch::autograd::grad({energy}, {leaf})[0][0];
    }
    // Reading the energy back waits for the model; a non-finite energy stops here, before any
    // force reaches OpenMM. Only then are the positions searched for the cause, so a healthy
    // step pays for no extra read-back.
    const double result = energy.item<double>();
    if (!std::isfinite(result)) {
        torch::Tensor bad = (~torch::isfinite(x)).any(1).nonzero();
        if (bad.numel() > 0) {
            const int particle = (int) bad[0][0].item<int64_t>();
            std::stringstream msg;
            msg << "AffinityForce: particle " << particle << " (system particle "
                << state->particles.systemIndices[particle] << ") has a non-finite position; expected finite positions in nm";
            throw OpenMMException(msg.str());
        }
        state->scorer.getModel().checkFinite(energy);
    }
    if (includeForces) {
        state->arrays.addForces(cu, gradient);
        // OpenMM's later kernels run in its own context: the forces must be in place first.
        c10::cuda::getCurrentCUDAStream(state->scorer.getDevice().index()).synchronize();
    }
    return result;
}

void CudaCalcAffinityForceKernel::copyParametersToContext(ContextImpl& context, const AffinityForce& force) {
    PrimaryContextScope scope(primaryContext);
    const bool needsTopology =
        state->scorer.getModel().getContract() == ModelContract::PositionsAtomicNumbersLigandMask;
    ForceParticles updated = state->particles.updatedBy(force, context.getSystem(), needsTopology);
    state->scorer.setTopology(updated.atomicNumbers, updated.ligandMask);
    state->scorer.setTemperature(force.getTemperature());
    state->ligandAtoms = ligandAtomIndices(updated.ligandMask, state->scorer.getDevice());
    state->particles = std::move(updated);
    state->graph.reset(); // the captured graph read the old topology tensors
}

std::vector<double> CudaCalcAffinityForceKernel::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    PrimaryContextScope scope(primaryContext);
    c10::cuda::CUDAGuard deviceGuard(state->scorer.getDevice());
    return state->scorer.poseEnergies(poses, state->properties.poseBatchSize, state->properties.poseMemoryBudgetMiB);
}
