// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_DEVICE_NAME_H_
#define OPENMM_AFFINITY_DEVICE_NAME_H_

#include "AffinityExport.h"
#include <string>

namespace AffinityPlugin {

/**
 * A device as the plugin's tools and wrappers name it: "cpu", "cuda" (the current CUDA device)
 * or "cuda:i". Parsed once, here, without LibTorch; torchDevice (TorchDevice.h) turns it into a
 * LibTorch device and checks that the device is present.
 */
struct OPENMM_EXPORT_AFFINITY DeviceName {
    bool cuda = false;
    /** The CUDA device's index, -1 for the current one (and for the CPU). */
    int index = -1;
    /**
     * Parse a device name.
     *
     * @throws OpenMMException naming the name and the accepted forms
     */
    static DeviceName fromName(const std::string& name);
    /** The name back: "cpu", "cuda" or "cuda:i". */
    std::string name() const;
};

} // namespace AffinityPlugin

#endif
