// SPDX-License-Identifier: MIT
#include "PoseEnsemble.h"
#include "AffinityForce.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;
using OpenMM::Vec3;

PoseEnsemble::PoseEnsemble(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask)
    : atomicNumbers(atomicNumbers), ligandMask(ligandMask) {
    if (atomicNumbers.size() != ligandMask.size()) {
        std::stringstream msg;
        msg << "PoseEnsemble: " << atomicNumbers.size() << " atomic numbers but " << ligandMask.size()
            << " ligand flags; expected one of each per atom";
        throw OpenMMException(msg.str());
    }
    if (atomicNumbers.empty())
        throw OpenMMException("PoseEnsemble: the topology has no atoms; expected at least one");
    for (size_t i = 0; i < atomicNumbers.size(); i++)
        if (atomicNumbers[i] < 1 || atomicNumbers[i] > 118) {
            std::stringstream msg;
            msg << "PoseEnsemble: atom " << i << " has atomic number " << atomicNumbers[i] << "; expected 1-118";
            throw OpenMMException(msg.str());
        }
}

PoseEnsemble PoseEnsemble::forForce(const AffinityForce& force) {
    if (force.getNumParticles() == 0)
        throw OpenMMException("PoseEnsemble: the AffinityForce has no particles; add the particles the model "
                              "sees before making poses for it");
    return PoseEnsemble(force.getAtomicNumbers(), force.getLigandMask());
}

void PoseEnsemble::addPose(const std::vector<Vec3>& pose) {
    if ((int)pose.size() != getNumAtoms()) {
        std::stringstream msg;
        msg << "PoseEnsemble: pose " << numPoses << " has " << pose.size() << " atoms; expected " << getNumAtoms();
        throw OpenMMException(msg.str());
    }
    for (const Vec3& p : pose)
        for (int k = 0; k < 3; k++)
            positions.push_back(p[k]);
    numPoses++;
}

void PoseEnsemble::addPoses(const double* data, int count) {
    if (count < 0)
        throw OpenMMException("PoseEnsemble: a negative number of poses was given");
    positions.insert(positions.end(), data, data + (size_t)count * getNumAtoms() * 3);
    numPoses += count;
}

void PoseEnsemble::reserve(int count) {
    positions.reserve((size_t)count * getNumAtoms() * 3);
}

const double* PoseEnsemble::getPosePositions(int pose) const {
    if (pose < 0 || pose >= numPoses) {
        std::stringstream msg;
        msg << "PoseEnsemble: pose index " << pose << " is out of range; there are " << numPoses << " poses";
        throw OpenMMException(msg.str());
    }
    return positions.data() + (size_t)pose * getNumAtoms() * 3;
}

void PoseEnsemble::validate(const std::string& who) const {
    if (numPoses == 0)
        throw OpenMMException(who + ": the pose ensemble is empty; expected at least one pose");
    const size_t perPose = (size_t)getNumAtoms() * 3;
    for (size_t i = 0; i < positions.size(); i++)
        if (!std::isfinite(positions[i])) {
            std::stringstream msg;
            msg << who << ": pose " << i / perPose << ", atom " << (i % perPose) / 3 << " has a non-finite coordinate ("
                << positions[i] << "); expected finite positions in nm";
            throw OpenMMException(msg.str());
        }
}
