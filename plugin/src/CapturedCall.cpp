// SPDX-License-Identifier: MIT
#include "internal/CapturedCall.h"
#include "DeviceMemory.h"
#ifdef AFFINITY_TORCH_HAS_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using namespace AffinityPlugin;

#ifdef AFFINITY_TORCH_HAS_CUDA
struct CapturedCall::Graph {
    // Where every call runs when the caller is on the default stream (not capturable): the
    // eager calls too, so that what LibTorch sets up per stream (cuBLAS's workspace) exists
    // before the capture instead of being made inside the graph's memory.
    c10::cuda::CUDAStream ownStream;
    std::unique_ptr<at::cuda::CUDAGraph> graph;
};

namespace {

// Runs work on the caller's current stream unless that is the default stream; then on `own`,
// ordered after the caller's earlier work and before its later work, without the host waiting.
void onCapturableStream(const c10::cuda::CUDAStream& own, const std::function<void()>& work) {
    c10::cuda::CUDAStream caller = c10::cuda::getCurrentCUDAStream(own.device_index());
    if (caller != c10::cuda::getDefaultCUDAStream(own.device_index())) {
        work();
        return;
    }
    at::cuda::CUDAEvent before, after;
    before.record(caller);
    before.block(own);
    {
        c10::cuda::CUDAStreamGuard guard(own);
        work();
    }
    after.record(own);
    after.block(caller);
}

} // namespace
#else
struct CapturedCall::Graph {};
#endif

GraphMemoryPool GraphMemoryPool::create(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    const torch::Device resolved = DeviceMemory::resolve(device);
    if (resolved.is_cuda()) {
        const at::cuda::MempoolId_t id = at::cuda::graph_pool_handle();
        const c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool(false, resolved.index());
        return GraphMemoryPool{id.first, id.second, (long long)stream.id(), (int)resolved.index()};
    }
#endif
    (void)device;
    return GraphMemoryPool{};
}

CapturedCall::CapturedCall(const torch::Device& device, int eagerCalls, bool capture, GraphMemoryPool pool)
    : device(DeviceMemory::resolve(device)), eagerCalls(std::max(1, eagerCalls)), captureAllowed(false), pool(pool) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    captureAllowed = capture && this->device.is_cuda();
    if (captureAllowed) {
        const c10::DeviceIndex index = this->device.index();
        c10::cuda::CUDAStream own =
            pool.deviceIndex == index
                ? c10::cuda::CUDAStream(c10::Stream::unpack3(pool.streamId, index, c10::DeviceType::CUDA))
                : c10::cuda::getStreamFromPool(false, index);
        state.reset(new Graph{own, nullptr});
    }
#else
    (void)capture; // LibTorch without CUDA: every call is eager
#endif
}

CapturedCall::~CapturedCall() = default;

bool CapturedCall::isCaptured() const {
#ifdef AFFINITY_TORCH_HAS_CUDA
    return state && state->graph;
#else
    return false;
#endif
}

void CapturedCall::stayEager(const std::string& why) {
    if (!isCaptured() && captureAllowed) {
        captureAllowed = false;
        captureFailure = why;
    }
}

bool CapturedCall::run(const std::function<void()>& body) {
    calls++;
    if (!captureAllowed) {
        body();
        return true;
    }
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (calls <= eagerCalls)
        onCapturableStream(state->ownStream, body);
    else if (state->graph)
        onCapturableStream(state->ownStream, [this] { state->graph->replay(); });
    else
        return capture(body);
#endif
    return true;
}

bool CapturedCall::capture(const std::function<void()>& body) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    try {
        onCapturableStream(state->ownStream, [&] {
            graph->capture_begin({pool.first, pool.second});
            try {
                body();
            } catch (...) {
                try {
                    graph->capture_end(); // leave the stream out of capture mode
                } catch (const std::exception&) {
                }
                throw;
            }
            graph->capture_end(); // records the work without running it
            graph->replay();      // and this runs it
        });
    } catch (const std::exception& e) {
        captureFailure = e.what();
        captureAllowed = false;
        return false;
    }
    state->graph = std::move(graph);
#else
    (void)body;
#endif
    return true;
}
