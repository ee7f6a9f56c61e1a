// SPDX-License-Identifier: MIT
#include "internal/ForceParticles.h"
#include "openmm/OpenMMException.h"

using namespace AffinityPlugin;

ForceParticles ForceParticles::updatedBy(const AffinityForce& force, const OpenMM::System& system,
                                         bool needsTopology) const {
    ForceParticles updated = of(force, system, needsTopology);
    if (updated.systemIndices != systemIndices)
        throw OpenMM::OpenMMException("AffinityForce: updateParametersInContext cannot change the number of particles "
                                      "or their system indices; create a new Context for that");
    return updated;
}

ForceParticles ForceParticles::of(const AffinityForce& force, const OpenMM::System& system, bool needsTopology) {
    ForceParticles result;
    if (force.getNumParticles() == 0) {
        if (needsTopology)
            throw OpenMM::OpenMMException(
                "AffinityForce: the model takes atomic numbers and a ligand mask but the "
                "force has no particles; add the particles the model sees with addParticle()");
        for (int i = 0; i < system.getNumParticles(); i++) {
            result.systemIndices.push_back(i);
            result.atomicNumbers.push_back(0); // unused: positions-only models know their atoms
            result.ligandMask.push_back(false);
        }
        return result;
    }
    for (int i = 0; i < force.getNumParticles(); i++) {
        int systemIndex, atomicNumber;
        bool isLigand;
        force.getParticleParameters(i, systemIndex, atomicNumber, isLigand);
        result.systemIndices.push_back(systemIndex);
        result.atomicNumbers.push_back(atomicNumber);
        result.ligandMask.push_back(isLigand);
    }
    return result;
}
