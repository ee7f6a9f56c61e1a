// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_NEAREST_NEIGHBORS_H_
#define OPENMM_AFFINITY_NEAREST_NEIGHBORS_H_

#include "AffinityExport.h"
#include <torch/types.h>
#include <tuple>

namespace AffinityPlugin {

/**
 * Dense neighbour lists for batches of poses, the TorchScript operator
 * affinity::nearest_neighbors: for every atom i of every pose b, its K = min(maxNeighbors, N-1)
 * nearest atoms j != i that are strictly closer than the cutoff, in order of increasing
 * distance (ties in order of index), as
 *
 *     index[b,i,k] = j (or i itself where the slot holds no neighbour),
 *     valid[b,i,k] = whether slot k holds a neighbour.
 *
 * With separateParts, atoms only see atoms of their own part (partMask equal), as if each part
 * were alone. Squared distances are (xi-xj)^2 + (yi-yj)^2 + (zi-zj)^2 in the positions' type.
 *
 * This is what a dense distance matrix followed by a top-K selection gives, without the matrix
 * and without the sort: on CUDA one warp per atom keeps the atoms within the cutoff in shared
 * memory and picks the K nearest among them, so the cost grows with the neighbours within the
 * cutoff rather than with N log N per atom. It is not differentiable (indices and flags); the
 * lengths are computed from the positions afterwards.
 *
 * @param positions     [B,N,3] float32 or float64, any length unit (that of cutoff)
 * @param partMask      bool [N], which part each atom belongs to (used with separateParts)
 * @param cutoff        neighbours are strictly closer than this (positive, finite)
 * @param maxNeighbors  at most this many neighbours per atom (K = min(maxNeighbors, N-1))
 * @param separateParts whether atoms of different parts never neighbour each other
 * @return (index int64 [B,N,K], valid bool [B,N,K])
 */
OPENMM_EXPORT_AFFINITY std::tuple<torch::Tensor, torch::Tensor> nearestNeighbors(const torch::Tensor& positions,
                                                                                 const torch::Tensor& partMask,
                                                                                 double cutoff, int64_t maxNeighbors,
                                                                                 bool separateParts);

/**
 * The operator's host implementation (a sort of each atom's candidates), whatever the device
 * of the inputs: what it runs on the CPU, and the reference the CUDA kernel is tested against.
 */
OPENMM_EXPORT_AFFINITY std::tuple<torch::Tensor, torch::Tensor>
nearestNeighborsReference(const torch::Tensor& positions, const torch::Tensor& partMask, double cutoff,
                          int64_t maxNeighbors, bool separateParts);

} // namespace AffinityPlugin

#endif
