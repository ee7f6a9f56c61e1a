// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_POCKET_COMPLEX_H_
#define AFFINITY_CLI_POCKET_COMPLEX_H_

#include "LigandPoses.h"
#include "PoseEnsemble.h"
#include "Receptor.h"
#include <vector>

namespace AffinityCli {

/**
 * The poses of a ligand as complexes the model scores: the pocket's receptor atoms (in
 * receptor file order, at the receptor's fixed positions) followed by the ligand's atoms (in
 * ligand file order, at each pose's positions). The ligand's poses must share one topology.
 *
 * @param receptor  the receptor
 * @param pocket    indices of the receptor atoms in the pocket (PocketSelector::select)
 * @param ligand    the ligand's poses
 */
AffinityPlugin::PoseEnsemble pocketComplexPoses(const Receptor& receptor, const std::vector<int>& pocket,
                                                const LigandPoses& ligand);

} // namespace AffinityCli

#endif
