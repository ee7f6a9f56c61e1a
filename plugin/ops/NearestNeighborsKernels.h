// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_NEAREST_NEIGHBORS_KERNELS_H_
#define OPENMM_AFFINITY_NEAREST_NEIGHBORS_KERNELS_H_

// The CUDA kernel of affinity::nearest_neighbors (see NearestNeighbors.h for what it
// computes), declared without LibTorch so that nvcc compiles it without LibTorch's headers.

#include <cstdint>
#include <cuda_runtime_api.h>

namespace AffinityPlugin {
namespace NearestNeighborsCuda {

/** The sizes of one call: B poses of N atoms, K slots per atom. */
struct Shape {
    int64_t poses, atoms, slots;
    double cutoff;
    bool separateParts;
};

/** Fills index [B,N,K] and valid [B,N,K] (one byte per flag) from positions [B,N,3] and part [N]. */
template <typename Real>
cudaError_t launch(const Shape& shape, const Real* positions, const bool* part, int64_t* index, bool* valid,
                   cudaStream_t stream);

} // namespace NearestNeighborsCuda
} // namespace AffinityPlugin

#endif
