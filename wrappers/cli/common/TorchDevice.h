#ifndef AFFINITY_CLI_TORCH_DEVICE_H_
#define AFFINITY_CLI_TORCH_DEVICE_H_

// For the few translation units that already include LibTorch: the tools' device and
// precision names as LibTorch's device and dtype.

#include "DeviceName.h"
#include "Precision.h"
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace AffinityCli {

/**
 * The LibTorch device of a device name.
 *
 * @throws OpenMM::OpenMMException when it asks for CUDA and LibTorch finds no usable CUDA
 *         device, or for a CUDA device index that is not present
 */
c10::Device torchDevice(const DeviceName& device);

/** The dtype of a precision on a device, for a model whose parameters have modelDtype. */
c10::ScalarType torchDtype(Precision precision, const c10::Device& device, c10::ScalarType modelDtype);

} // namespace AffinityCli

#endif
