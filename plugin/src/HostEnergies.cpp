// SPDX-License-Identifier: MIT
#include "internal/HostEnergies.h"
#include <algorithm>
#include <cmath>

using namespace AffinityPlugin;

std::vector<double> AffinityPlugin::finiteEnergiesOnHost(const AffinityModel& model, const torch::Tensor& energies) {
    // Read back first and check on the host: checking on the device would wait for it twice.
    const torch::Tensor host = energies.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    std::vector<double> values(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
    if (!std::all_of(values.begin(), values.end(), [](double e) { return std::isfinite(e); }))
        model.checkFinite(host); // throws, naming the pose
    return values;
}
