#include "internal/ForceBinding.h"
#include "openmm/OpenMMException.h"
#include <sstream>

using namespace AffinityPlugin;

namespace {

bool needsTopology(const AffinityModel& model) {
    return model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask;
}

// The model a force holds, naming its file (if any) in messages. Here rather than in
// AffinityModel, which knows nothing of the Force that carries a model.
AffinityModel modelOf(const AffinityForce& force) {
    return AffinityModel::fromBytes(force.getModelBytes(),
                                    force.getModelFile().empty() ? "model bytes" : "'" + force.getModelFile() + "'");
}

} // namespace

ForceBinding ForceBinding::of(const AffinityForce& force, const OpenMM::System& system, const torch::Device& device,
                              std::optional<torch::ScalarType> dtype) {
    AffinityModel model = modelOf(force);
    ForceParticles particles = ForceParticles::of(force, system, needsTopology(model));
    AffinityScorer scorer(model, particles.atomicNumbers, particles.ligandMask, device,
                          dtype.value_or(model.parameterDtype()), force.getTemperature());
    torch::Tensor ligandAtoms = ligandAtomIndices(particles.ligandMask, device);
    return ForceBinding{std::move(particles), AffinityProperties::parse(force.getProperties()),
                        force.usesPeriodicBoundaryConditions(), std::move(scorer), ligandAtoms};
}

void ForceBinding::update(const AffinityForce& force, const OpenMM::System& system) {
    ForceParticles updated = particles.updatedBy(force, system, needsTopology(scorer.getModel()));
    scorer.setTopology(updated.atomicNumbers, updated.ligandMask);
    scorer.setTemperature(force.getTemperature());
    ligandAtoms = ligandAtomIndices(updated.ligandMask, scorer.getDevice());
    particles = std::move(updated);
}

void ForceBinding::reportNonFinitePosition(int particle) const {
    std::stringstream msg;
    msg << "AffinityForce: particle " << particle << " (system particle " << particles.systemIndices[particle]
        << ") has a non-finite position; expected finite positions in nm";
    throw OpenMM::OpenMMException(msg.str());
}

torch::Tensor ForceBinding::modelPositions(const torch::Tensor& positions, const OpenMM::Vec3& a, const OpenMM::Vec3& b,
                                           const OpenMM::Vec3& c) const {
    if (!periodic)
        return positions;
    return modelPositions(positions, boxTensor(a, b, c, positions.options()));
}

torch::Tensor ForceBinding::modelPositions(const torch::Tensor& positions, const torch::Tensor& box) const {
    return periodic ? imageAroundLigand(positions, box, ligandAtoms) : positions;
}
