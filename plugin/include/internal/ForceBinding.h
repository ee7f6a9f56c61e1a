#ifndef OPENMM_AFFINITY_FORCE_BINDING_H_
#define OPENMM_AFFINITY_FORCE_BINDING_H_

#include "AffinityForce.h"
#include "AffinityProperties.h"
#include "AffinityScorer.h"
#include "PeriodicImaging.h"
#include "internal/ForceParticles.h"
#include "openmm/System.h"
#include <optional>

namespace AffinityPlugin {

/**
 * What every platform's kernel holds for an AffinityForce in a Context: the particles the
 * model sees, the parsed properties, and the model bound to their topology on the platform's
 * device. Kernels differ only in how positions and forces reach it.
 */
struct OPENMM_EXPORT_AFFINITY ForceBinding {
    ForceParticles particles;
    AffinityProperties properties;
    bool periodic;
    AffinityScorer scorer;
    /** The ligand atoms' indices on the device, for periodic imaging. */
    torch::Tensor ligandAtoms;

    /**
     * Load the force's model and bind it.
     *
     * @param dtype  the floating-point dtype to run in, or none for the model's own
     */
    static ForceBinding of(const AffinityForce& force, const OpenMM::System& system, const torch::Device& device,
                           std::optional<torch::ScalarType> dtype);
    /** Take a force's changed temperature, atomic numbers and ligand flags (updateParametersInContext). */
    void update(const AffinityForce& force, const OpenMM::System& system);
    /** Throw the OpenMMException for a particle (index in model order) with a non-finite position. */
    [[noreturn]] void reportNonFinitePosition(int particle) const;
    /** The positions [N,3] as the model sees them: imaged around the ligand when periodic. */
    torch::Tensor modelPositions(const torch::Tensor& positions, const OpenMM::Vec3& a, const OpenMM::Vec3& b,
                                 const OpenMM::Vec3& c) const;
    /** The same, with the box vectors as rows of a [3,3] tensor on the positions' device. */
    torch::Tensor modelPositions(const torch::Tensor& positions, const torch::Tensor& box) const;
};

} // namespace AffinityPlugin

#endif
