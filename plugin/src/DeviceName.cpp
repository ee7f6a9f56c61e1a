// SPDX-License-Identifier: MIT
#include "DeviceName.h"
#include "openmm/OpenMMException.h"
#include <cctype>

using namespace AffinityPlugin;

DeviceName DeviceName::fromName(const std::string& name) {
    DeviceName device;
    if (name == "cpu")
        return device;
    device.cuda = true;
    if (name == "cuda")
        return device;
    const std::string prefix = "cuda:";
    const std::string digits = name.substr(name.rfind(prefix, 0) == 0 ? prefix.size() : name.size());
    bool valid = !digits.empty() && digits.size() <= 4;
    for (char c : digits)
        valid = valid && std::isdigit((unsigned char)c);
    if (!valid)
        throw OpenMM::OpenMMException("device '" + name + "' is not a device name; expected cpu, cuda or cuda:i");
    device.index = std::stoi(digits);
    return device;
}

std::string DeviceName::name() const {
    if (!cuda)
        return "cpu";
    return index < 0 ? "cuda" : "cuda:" + std::to_string(index);
}
