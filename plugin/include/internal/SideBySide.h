// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_SIDE_BY_SIDE_H_
#define OPENMM_AFFINITY_SIDE_BY_SIDE_H_

#include "AffinityExport.h"
#include <functional>
#include <memory>
#include <torch/types.h>

namespace AffinityPlugin {

/**
 * Independent pieces of device work run side by side on a GPU: piece k on the k-th of a fixed set of CUDA streams
 * (k modulo their number), every piece after the caller's earlier work on its current stream and before its later
 * work, ordered by events on the device without the host waiting. Captured in a CUDA graph, the pieces become
 * parallel branches of the graph, which the GPU runs at once: what a piece launches may then fill the GPU together
 * with the others where one piece alone (one pose's model call) would leave most of it idle.
 *
 * The streams and events are made once and kept, so that every call, eager or captured, runs on the same streams
 * (what LibTorch sets up per stream, such as cuBLAS's workspace, is then made by the eager calls, before a
 * capture). Off CUDA the pieces run one after another.
 */
class OPENMM_EXPORT_AFFINITY SideBySide {
public:
    /**
     * @param device  where the work runs
     * @param width   how many streams to run pieces on, ≥ 1
     */
    SideBySide(const torch::Device& device, int width);
    ~SideBySide();
    SideBySide(const SideBySide&) = delete;
    SideBySide& operator=(const SideBySide&) = delete;
    /**
     * Run piece(k) for k = 0 … count-1. If a piece throws, the pieces after it are not run, the streams are still
     * joined to the caller's (a capture can then be ended), and the exception is rethrown.
     */
    void run(int count, const std::function<void(int)>& piece);

private:
    struct Streams;
    std::unique_ptr<Streams> streams;
};

} // namespace AffinityPlugin

#endif
