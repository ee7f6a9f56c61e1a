// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_CAPTURED_CALL_H_
#define OPENMM_AFFINITY_CAPTURED_CALL_H_

#include "AffinityExport.h"
#include <functional>
#include <memory>
#include <string>
#include <torch/types.h>

namespace AffinityPlugin {

/**
 * A device memory pool that the graphs of several CapturedCalls share, so that they hold the
 * working memory of the largest rather than of all of them. Graphs of one pool must run one
 * after another, never at once, and an output a graph allocates is only valid until another
 * graph of the pool runs: read it first. The calls of one pool also share the stream they run
 * on when the caller's is the default stream, since LibTorch's allocator reuses a block only on
 * the stream it was made for. Zero ids mean a pool of the graph's own.
 */
struct OPENMM_EXPORT_AFFINITY GraphMemoryPool {
    unsigned long long first = 0, second = 0;
    long long streamId = 0;
    int deviceIndex = -1;
    /** A new shared pool for graphs on a CUDA device (its memory is taken at the first capture). */
    static GraphMemoryPool create(const torch::Device& device);
};

/**
 * The eager calls before a model call is captured: TorchScript profiles a new shape on its first
 * call and runs its optimised code from the second on, which the third call captures.
 */
constexpr int ModelEagerCalls = 2;

/**
 * Device work that runs the same way many times: eagerly for its first calls, then captured
 * once in a CUDA graph and replayed with one launch. A model call on one pose or a small batch
 * is otherwise bound by the host's cost of launching a few hundred small kernels.
 *
 * The work (the body) must be safe to capture: device work only, no value read back, no host
 * data copied in, reading its inputs from and writing its outputs to tensors that outlive this
 * object and keep their storage (a graph replays the same addresses). The eager calls come
 * first because TorchScript profiles and optimises a model during its first calls for a shape.
 *
 * The work runs on the caller's current stream unless that is the default stream, which cannot
 * be captured: then it runs on a stream of its own, ordered after the caller's work and before
 * the caller's later work by events on the device.
 */
class OPENMM_EXPORT_AFFINITY CapturedCall {
public:
    /**
     * @param device      where the work runs; off CUDA (or with capture off) every call is eager
     * @param eagerCalls  calls run eagerly before the capture, ≥ 1
     * @param capture     whether to capture at all
     * @param pool        where the graph's memory comes from: by default a pool of its own
     */
    CapturedCall(const torch::Device& device, int eagerCalls, bool capture, GraphMemoryPool pool = {});
    ~CapturedCall();
    CapturedCall(const CapturedCall&) = delete;
    CapturedCall& operator=(const CapturedCall&) = delete;
    /**
     * Run the body once: eagerly during the warm-up, else by replaying the graph captured
     * from it (captured now if this is the first call after the warm-up).
     *
     * @return false if the capture failed: the body has not run (a capture only records the
     *         work), failure() says why, and every later call is eager
     */
    bool run(const std::function<void()>& body);
    /**
     * Never capture from now on (unless a graph is captured already): every later call is
     * eager, and failure() says why. For work that may only be captured together with other work.
     */
    void stayEager(const std::string& why);
    /** Whether a graph has been captured and is replayed. */
    bool isCaptured() const;
    /** Why the capture failed, or empty. */
    const std::string& failure() const {
        return captureFailure;
    }

private:
    struct Graph;
    bool capture(const std::function<void()>& body);
    torch::Device device;
    int eagerCalls;
    bool captureAllowed;
    GraphMemoryPool pool;
    int calls = 0;
    std::string captureFailure;
    std::unique_ptr<Graph> state;
};

} // namespace AffinityPlugin

#endif
