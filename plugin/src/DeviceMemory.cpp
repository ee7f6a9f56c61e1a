// SPDX-License-Identifier: MIT
#include "DeviceMemory.h"
#ifdef AFFINITY_TORCH_HAS_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

using namespace AffinityPlugin;

#ifdef AFFINITY_TORCH_HAS_CUDA
namespace {
c10::CachingDeviceAllocator::DeviceStats statsOf(const torch::Device& device) {
    return c10::cuda::CUDACachingAllocator::getDeviceStats(DeviceMemory::resolve(device).index());
}

constexpr size_t Aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);

c10::CachingAllocator::Stat allocatedBytes(const torch::Device& device) {
    return statsOf(device).allocated_bytes[Aggregate];
}
} // namespace
#endif

torch::Device DeviceMemory::resolve(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda() && !device.has_index())
        return torch::Device(torch::kCUDA, c10::cuda::current_device());
#endif
    return device;
}

void DeviceMemory::resetPeak(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda())
        c10::cuda::CUDACachingAllocator::resetPeakStats(resolve(device).index());
#endif
}

int64_t DeviceMemory::reserved(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda())
        return statsOf(device).reserved_bytes[Aggregate].current;
#endif
    return -1;
}

void DeviceMemory::releaseCached(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda())
        c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

int64_t DeviceMemory::peak(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda())
        return allocatedBytes(device).peak;
#endif
    return -1;
}

int64_t DeviceMemory::current(const torch::Device& device) {
#ifdef AFFINITY_TORCH_HAS_CUDA
    if (device.is_cuda())
        return allocatedBytes(device).current;
#endif
    return -1;
}

int64_t DeviceMemory::peakOf(const torch::Device& device, const std::function<void()>& work) {
    if (!device.is_cuda()) {
        work();
        return -1;
    }
    const int64_t before = current(device);
    resetPeak(device);
    work();
    return peak(device) - before;
}
