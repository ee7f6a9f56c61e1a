// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PYTHON_POSE_ARRAYS_H_
#define OPENMM_AFFINITY_PYTHON_POSE_ARRAYS_H_

#include "AffinityForce.h"
#include "PoseEnsemble.h"
#include "openmm/Context.h"
#include <cstddef>
#include <string>
#include <vector>

namespace AffinityPython {

/**
 * Make a PoseEnsemble from a flat, row-major array of P×N×3 doubles in nm, as a C-contiguous
 * numpy array of shape [P,N,3] hands it over.
 *
 * @param atomicNumbers  the atomic number of each of the N atoms
 * @param ligandMask     for each atom, whether it belongs to the ligand
 * @param positions      P×N×3 values in nm, pose-major
 * @param count          the number of values, a positive multiple of 3N
 * @param who            the caller, which starts any error message
 * @throws OpenMMException if count is not a positive multiple of 3N
 */
AffinityPlugin::PoseEnsemble poseEnsembleFromArray(const std::vector<int>& atomicNumbers,
                                                   const std::vector<bool>& ligandMask, const double* positions,
                                                   size_t count, const std::string& who);

/**
 * AffinityForce::computePoseEnergies() for poses given as a flat array (see
 * poseEnsembleFromArray()): the energy of each pose in kJ/mol, on the Context's platform.
 */
std::vector<double> computePoseEnergies(const AffinityPlugin::AffinityForce& force, OpenMM::Context& context,
                                        const double* positions, size_t count);

} // namespace AffinityPython

#endif
