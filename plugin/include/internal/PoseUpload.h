// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_POSE_UPLOAD_H_
#define OPENMM_AFFINITY_POSE_UPLOAD_H_

#include "AffinityExport.h"
#include "PoseEnsemble.h"
#include "internal/BoundModel.h"
#include <string>

namespace AffinityPlugin {

/**
 * Throw an OpenMMException unless the poses fit a bound model: the model's number of atoms,
 * the same atomic numbers and ligand flags where the model reads them, finite and not empty.
 *
 * @param who  what the message names as the caller
 */
OPENMM_EXPORT_AFFINITY void checkPosesFit(const PoseEnsemble& poses, const BoundModel& model, const std::string& who);

/**
 * The positions of poses [first, first+count) as a [count,N,3] tensor on the bound model's
 * device and dtype: one copy, the transfer itself.
 */
OPENMM_EXPORT_AFFINITY torch::Tensor uploadPosesFor(const BoundModel& model, const PoseEnsemble& poses, int first,
                                                    int count);

} // namespace AffinityPlugin

#endif
