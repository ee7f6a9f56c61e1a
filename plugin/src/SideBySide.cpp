// SPDX-License-Identifier: MIT
#include "internal/SideBySide.h"
#include "DeviceMemory.h"
#include <algorithm>
#include <exception>
#include <vector>
#ifdef AFFINITY_TORCH_HAS_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using namespace AffinityPlugin;

#ifdef AFFINITY_TORCH_HAS_CUDA
struct SideBySide::Streams {
    std::vector<c10::cuda::CUDAStream> lanes;
    // Kept, not made per call: an event is then created by the first (eager) call, never inside a capture.
    at::cuda::CUDAEvent fork;
    std::vector<at::cuda::CUDAEvent> joins;
};
#else
struct SideBySide::Streams {};
#endif

SideBySide::SideBySide(const torch::Device& device, int width) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    const torch::Device resolved = DeviceMemory::resolve(device);
    if (resolved.is_cuda()) {
        streams = std::make_unique<Streams>();
        for (int k = 0; k < std::max(1, width); k++)
            streams->lanes.push_back(c10::cuda::getStreamFromPool(false, resolved.index()));
        streams->joins = std::vector<at::cuda::CUDAEvent>(streams->lanes.size());
    }
#else
    (void)device;
    (void)width;
#endif
}

SideBySide::~SideBySide() = default;

void SideBySide::run(int count, const std::function<void(int)>& piece) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (streams) {
        std::vector<c10::cuda::CUDAStream>& lanes = streams->lanes;
        const c10::cuda::CUDAStream caller = c10::cuda::getCurrentCUDAStream(lanes[0].device_index());
        const size_t used = std::min(lanes.size(), (size_t)std::max(0, count));
        streams->fork.record(caller);
        for (size_t s = 0; s < used; s++)
            streams->fork.block(lanes[s]);
        std::exception_ptr error;
        for (int k = 0; k < count && !error; k++) {
            c10::cuda::CUDAStreamGuard guard(lanes[k % lanes.size()]);
            try {
                piece(k);
            } catch (...) {
                error = std::current_exception();
            }
        }
        for (size_t s = 0; s < used; s++) {
            streams->joins[s].record(lanes[s]);
            streams->joins[s].block(caller);
        }
        if (error)
            std::rethrow_exception(error);
        return;
    }
#endif
    for (int k = 0; k < count; k++)
        piece(k);
}
