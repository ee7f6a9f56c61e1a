#ifndef AFFINITY_CLI_DEVICE_NAME_H_
#define AFFINITY_CLI_DEVICE_NAME_H_

#include <string>

namespace AffinityCli {

/**
 * A device as the tools name it: "cpu", "cuda" (the current CUDA device) or "cuda:i". Parsed
 * once, here; ScoringModel.h's torchDevice turns it into a LibTorch device and checks that it
 * exists.
 */
struct DeviceName {
    bool cuda = false;
    /** The CUDA device's index, -1 for the current one (and for the CPU). */
    int index = -1;
    /**
     * Parse a device name.
     *
     * @throws std::runtime_error naming the name and the accepted forms
     */
    static DeviceName fromName(const std::string& name);
    /** The name back: "cpu", "cuda" or "cuda:i". */
    std::string name() const;
};

} // namespace AffinityCli

#endif
