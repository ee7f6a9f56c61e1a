// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_DEVICE_MEMORY_H_
#define OPENMM_AFFINITY_DEVICE_MEMORY_H_

#include "AffinityExport.h"
#include <cstdint>
#include <functional>
#include <torch/script.h>

namespace AffinityPlugin {

/**
 * The peak memory that LibTorch's CUDA caching allocator reports on a device, as used to size
 * batches of poses and by the benchmarks. On the CPU there is no such allocator: these return
 * -1 and do nothing.
 */
struct OPENMM_EXPORT_AFFINITY DeviceMemory {
    /** The device with its index made explicit ("cuda" becomes the current CUDA device). */
    static torch::Device resolve(const torch::Device& device);
    /** Reset the device's peak statistic to its current allocation. */
    static void resetPeak(const torch::Device& device);
    /** The peak bytes allocated on the device since the last reset, or -1 on the CPU. */
    static int64_t peak(const torch::Device& device);
    /** The bytes allocated on the device now, or -1 on the CPU. */
    static int64_t current(const torch::Device& device);
    /**
     * The bytes the allocator holds from the device now (allocated, cached, and kept for CUDA
     * graphs), or -1 on the CPU. After releaseCached(), what remains beyond current() is what
     * captured CUDA graphs keep for their replays.
     */
    static int64_t reserved(const torch::Device& device);
    /** Return the allocator's cached but unused blocks to the device (after running out of memory). */
    static void releaseCached(const torch::Device& device);
    /** The bytes that `work` allocated at its peak beyond what was allocated before, or -1 on the CPU. */
    static int64_t peakOf(const torch::Device& device, const std::function<void()>& work);
};

} // namespace AffinityPlugin

#endif
