// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_TORCH_DEVICE_H_
#define OPENMM_AFFINITY_TORCH_DEVICE_H_

#include "AffinityExport.h"
#include "DeviceName.h"
#include <c10/core/Device.h>

namespace AffinityPlugin {

/**
 * The LibTorch device of a device name.
 *
 * @throws OpenMMException when it names a CUDA device that LibTorch does not see (none at all,
 *         or fewer than the index asks for), giving the number it sees
 */
OPENMM_EXPORT_AFFINITY c10::Device torchDevice(const DeviceName& device);

} // namespace AffinityPlugin

#endif
