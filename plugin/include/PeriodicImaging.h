// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PERIODIC_IMAGING_H_
#define OPENMM_AFFINITY_PERIODIC_IMAGING_H_

#include "AffinityExport.h"
#include "openmm/Vec3.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/**
 * Move each atom of positions [N,3] (nm) to the periodic image nearest the centre of the
 * ligand (made whole around its first atom first), or nearest atom 0 when there is no
 * ligand, for OpenMM's reduced triclinic box vectors box [3,3] (rows a, b, c). Lattice
 * translations do not change gradients, so forces computed from the imaged positions apply to
 * the original ones. Only device operations: no value is read back to the host.
 *
 * @param ligandAtoms  int64 indices of the ligand atoms (empty when there is no ligand)
 */
OPENMM_EXPORT_AFFINITY torch::Tensor imageAroundLigand(const torch::Tensor& positions, const torch::Tensor& box,
                                                       const torch::Tensor& ligandAtoms);

/** OpenMM's periodic box vectors a, b, c (nm) as the rows of a [3,3] tensor. */
OPENMM_EXPORT_AFFINITY torch::Tensor boxTensor(const OpenMM::Vec3& a, const OpenMM::Vec3& b, const OpenMM::Vec3& c,
                                               const torch::TensorOptions& options);

/** The int64 indices of the true entries of a ligand mask, on a device. */
OPENMM_EXPORT_AFFINITY torch::Tensor ligandAtomIndices(const std::vector<bool>& ligandMask,
                                                       const torch::Device& device);

} // namespace AffinityPlugin

#endif
