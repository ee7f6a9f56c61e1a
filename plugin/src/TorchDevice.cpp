// SPDX-License-Identifier: MIT
#include "TorchDevice.h"
#include "openmm/OpenMMException.h"
#include <torch/cuda.h>

using namespace AffinityPlugin;

c10::Device AffinityPlugin::torchDevice(const DeviceName& name) {
    if (!name.cuda)
        return c10::Device(c10::kCPU);
    const int available = torch::cuda::is_available() ? (int)torch::cuda::device_count() : 0;
    if (name.index >= available || available == 0)
        throw OpenMM::OpenMMException("device '" + name.name() + "' is not present; LibTorch sees " +
                                      std::to_string(available) + " CUDA device(s)");
    return name.index < 0 ? c10::Device(c10::kCUDA) : c10::Device(c10::kCUDA, (c10::DeviceIndex)name.index);
}
