#include "TorchDevice.h"
#include "openmm/OpenMMException.h"
#include <torch/cuda.h>

using namespace AffinityCli;
using OpenMM::OpenMMException;

c10::Device AffinityCli::torchDevice(const DeviceName& name) {
    if (!name.cuda)
        return c10::Device(c10::kCPU);
    if (!torch::cuda::is_available())
        throw OpenMMException("--device " + name.name() +
                              " asks for CUDA, but LibTorch finds no usable CUDA device here; expected cpu");
    if (name.index >= (int)torch::cuda::device_count())
        throw OpenMMException("--device " + name.name() + " names CUDA device " + std::to_string(name.index) +
                              "; only " + std::to_string(torch::cuda::device_count()) + " are present");
    return name.index < 0 ? c10::Device(c10::kCUDA) : c10::Device(c10::kCUDA, (c10::DeviceIndex)name.index);
}

c10::ScalarType AffinityCli::torchDtype(Precision precision, const c10::Device& device, c10::ScalarType modelDtype) {
    if (precision == Precision::Double || (precision == Precision::Auto && device.is_cpu()))
        return c10::kDouble;
    if (precision == Precision::Single)
        return c10::kFloat;
    return modelDtype;
}
