// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_POSE_ENSEMBLE_H_
#define OPENMM_AFFINITY_POSE_ENSEMBLE_H_

#include "AffinityExport.h"
#include "openmm/Vec3.h"
#include <string>
#include <vector>

namespace AffinityPlugin {

class AffinityForce;

/**
 * The docked poses of one ligand in one receptor: P poses that share one topology (the
 * atomic number and ligand flag of each of N atoms) and differ only in positions.
 *
 * Positions are held once, in one contiguous array of P×N×3 doubles in nm, pose-major, so
 * that a batch of poses is a slice of it and no pose is copied when batches are formed.
 */
class OPENMM_EXPORT_AFFINITY PoseEnsemble {
public:
    /**
     * Create an empty ensemble for a topology.
     *
     * @param atomicNumbers  the atomic number of each atom, 1 to 118
     * @param ligandMask     for each atom, whether it belongs to the ligand
     */
    PoseEnsemble(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask);
    /** Create an empty ensemble whose atoms are the particles of an AffinityForce. */
    static PoseEnsemble forForce(const AffinityForce& force);
    /** Add one pose; positions in nm, one per atom. */
    void addPose(const std::vector<OpenMM::Vec3>& positions);
    /**
     * Add poses from a flat array of doubles, pose-major: numPoses × N × 3 values in nm.
     */
    void addPoses(const double* positions, int numPoses);
    /** Reserve room for a number of poses, so that adding them does not reallocate. */
    void reserve(int numPoses);
    /** Get the number of poses. */
    int getNumPoses() const {
        return numPoses;
    }
    /** Get the number of atoms in each pose. */
    int getNumAtoms() const {
        return static_cast<int>(atomicNumbers.size());
    }
    /** Get the atomic numbers, one per atom. */
    const std::vector<int>& getAtomicNumbers() const {
        return atomicNumbers;
    }
    /** Get the ligand flags, one per atom. */
    const std::vector<bool>& getLigandMask() const {
        return ligandMask;
    }
    /** Get all positions, pose-major, numPoses × N × 3 values in nm. */
    const std::vector<double>& getPositions() const {
        return positions;
    }
    /** Get the positions of one pose (N × 3 values in nm). */
    const double* getPosePositions(int pose) const;
    /**
     * Throw an OpenMMException unless the ensemble holds at least one pose and every
     * coordinate is finite. The message names the first offending pose and atom.
     *
     * @param who  the name of the caller, which starts the message
     */
    void validate(const std::string& who) const;

private:
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;
    std::vector<double> positions;
    int numPoses = 0;
};

} // namespace AffinityPlugin

#endif
