// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_POSE_BATCHES_H_
#define OPENMM_AFFINITY_POSE_BATCHES_H_

#include <algorithm>
#include <vector>

namespace AffinityPlugin {

/** One model call of a batched pass over a ligand's poses. */
struct PoseBatch {
    /** The first pose evaluated. */
    int start;
    /** Poses at its start that an earlier batch already covered: they count only once. */
    int skipped;
};

/**
 * Batches of exactly `batch` poses covering [0, numPoses): a short last batch is instead the
 * last `batch` poses, overlapping the one before, of which only the new poses count. Every call
 * then has the same shape: TorchScript compiles its fused kernels for the first shapes it sees
 * and falls back to slower code for further ones (on the H100 a third shape cut the benchmark
 * model's throughput by four), and a CUDA graph replays one shape.
 *
 * @param numPoses  the poses to cover, at least one
 * @param batch     poses per call, 1 to numPoses
 */
inline std::vector<PoseBatch> poseBatchesOf(int numPoses, int batch) {
    std::vector<PoseBatch> result;
    for (int first = 0; first < numPoses; first += batch) {
        const int count = std::min(batch, numPoses - first);
        result.push_back({first + count - batch, batch - count});
    }
    return result;
}

} // namespace AffinityPlugin

#endif
