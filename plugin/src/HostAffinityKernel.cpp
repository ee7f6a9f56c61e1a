#include "internal/HostAffinityKernel.h"
#include "AffinityProperties.h"
#include "AffinityScorer.h"
#include "internal/ForceParticles.h"
#include "openmm/OpenMMException.h"
#include "openmm/internal/ContextImpl.h"
#include "openmm/reference/ReferencePlatform.h"
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using namespace OpenMM;

struct HostAffinityKernel::State {
    ForceParticles particles;
    AffinityProperties properties;
    bool periodic;
    AffinityScorer scorer;
    torch::Tensor ligandAtoms;
};

HostAffinityKernel::HostAffinityKernel(const std::string& name, const Platform& platform, bool alwaysDouble,
                                       int numThreads)
    : CalcAffinityForceKernel(name, platform), alwaysDouble(alwaysDouble), numThreads(numThreads) {
}

HostAffinityKernel::~HostAffinityKernel() = default;

void HostAffinityKernel::initialize(const System& system, const AffinityForce& force) {
    if (numThreads > 0)
        at::set_num_threads(numThreads);
    AffinityModel model = AffinityModel::fromForce(force);
    const torch::ScalarType dtype = alwaysDouble ? torch::kFloat64 : model.parameterDtype();
    ForceParticles particles = ForceParticles::of(
        force, system, model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask);
    AffinityScorer scorer(model, particles.atomicNumbers, particles.ligandMask, torch::kCPU, dtype,
                          force.getTemperature());
    state.reset(new State{std::move(particles), AffinityProperties::parse(force.getProperties()),
                          force.usesPeriodicBoundaryConditions(), std::move(scorer), torch::Tensor()});
    state->ligandAtoms = ligandAtomIndices(state->particles.ligandMask, torch::kCPU);
}

double HostAffinityKernel::execute(ContextImpl& context, bool includeForces, bool includeEnergy) {
    auto* data = reinterpret_cast<ReferencePlatform::PlatformData*>(context.getPlatformData());
    const std::vector<Vec3>& positions = *data->positions;
    const std::vector<int>& indices = state->particles.systemIndices;
    const int numAtoms = (int) indices.size();

    torch::Tensor x = torch::empty({numAtoms, 3}, torch::kFloat64);
    double* xs = x.data_ptr<double>();
    for (int i = 0; i < numAtoms; i++)
        for (int k = 0; k < 3; k++) {
            xs[3 * i + k] = positions[indices[i]][k];
            if (!std::isfinite(xs[3 * i + k])) {
                std::stringstream msg;
                msg << "AffinityForce: particle " << i << " (system particle " << indices[i]
                    << ") has a non-finite position; expected finite positions in nm";
                throw OpenMMException(msg.str());
            }
        }
    if (state->periodic) {
        Vec3 a, b, c;
        context.getPeriodicBoxVectors(a, b, c);
        x = imageAroundLigand(x, boxTensor(a, b, c, x.options()), state->ligandAtoms);
    }
    x = x.to(state->scorer.getDtype()).unsqueeze(0);
    if (!includeForces) {
        torch::NoGradGuard noGrad;
        return state->scorer.energies(x).item<double>();
    }
    x.requires_grad_(true);
    torch::Tensor energy = state->scorer.energies(x);
    torch::Tensor gradient = torch::autograd::grad({energy}, {x})[0].squeeze(0).to(torch::kFloat64).contiguous();
    const double* g = gradient.data_ptr<double>();
    std::vector<Vec3>& forces = *data->forces;
    for (int i = 0; i < numAtoms; i++)
        forces[indices[i]] -= Vec3(g[3 * i], g[3 * i + 1], g[3 * i + 2]);
    return energy.item<double>();
}

void HostAffinityKernel::copyParametersToContext(ContextImpl& context, const AffinityForce& force) {
    const bool needsTopology =
        state->scorer.getModel().getContract() == ModelContract::PositionsAtomicNumbersLigandMask;
    ForceParticles updated = state->particles.updatedBy(force, context.getSystem(), needsTopology);
    state->scorer.setTopology(updated.atomicNumbers, updated.ligandMask);
    state->scorer.setTemperature(force.getTemperature());
    state->particles = std::move(updated);
    state->ligandAtoms = ligandAtomIndices(state->particles.ligandMask, torch::kCPU);
}

std::vector<double> HostAffinityKernel::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    return state->scorer.poseEnergies(poses, state->properties.poseBatchSize, state->properties.poseMemoryBudgetMiB);
}
