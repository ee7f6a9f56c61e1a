// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FORCE_PARTICLES_H_
#define OPENMM_AFFINITY_FORCE_PARTICLES_H_

#include "AffinityForce.h"
#include "openmm/System.h"
#include <vector>

namespace AffinityPlugin {

/**
 * The particles an AffinityForce's model sees in a System, in model order: the force's
 * particles, or every particle of the System for a positions-only model with none added.
 * Every platform kernel starts from this.
 */
struct OPENMM_EXPORT_AFFINITY ForceParticles {
    std::vector<int> systemIndices;
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;
    /**
     * @param needsTopology  whether the model takes atomic numbers and a ligand mask
     * @throws OpenMMException if the model needs a topology and the force has no particles
     */
    static ForceParticles of(const AffinityForce& force, const OpenMM::System& system, bool needsTopology);
    /**
     * The particles of a force whose parameters changed in a Context (updateParametersInContext).
     *
     * @throws OpenMMException if the number of particles or their system indices differ from these
     */
    ForceParticles updatedBy(const AffinityForce& force, const OpenMM::System& system, bool needsTopology) const;
};

} // namespace AffinityPlugin

#endif
