// SPDX-License-Identifier: MIT
#include "PoseArrays.h"
#include "openmm/OpenMMException.h"
#include <sstream>

using namespace AffinityPlugin;

PoseEnsemble AffinityPython::poseEnsembleFromArray(const std::vector<int>& atomicNumbers,
                                                   const std::vector<bool>& ligandMask, const double* positions,
                                                   size_t count, const std::string& who) {
    const size_t valuesPerPose = 3 * atomicNumbers.size();
    if (valuesPerPose == 0 || count == 0 || count % valuesPerPose != 0) {
        std::stringstream msg;
        msg << who << ": the poses hold " << count << " coordinates; expected a positive multiple of 3 x "
            << atomicNumbers.size() << " atoms, an array of shape [P," << atomicNumbers.size() << ",3] in nm";
        throw OpenMM::OpenMMException(msg.str());
    }
    PoseEnsemble poses(atomicNumbers, ligandMask);
    poses.addPoses(positions, static_cast<int>(count / valuesPerPose));
    return poses;
}

std::vector<double> AffinityPython::computePoseEnergies(const AffinityForce& force, OpenMM::Context& context,
                                                        const double* positions, size_t count) {
    const PoseEnsemble poses = poseEnsembleFromArray(PoseEnsemble::forForce(force).getAtomicNumbers(),
                                                     force.getLigandMask(), positions, count, "computePoseEnergies");
    return force.computePoseEnergies(context, poses);
}
