// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_HOST_ENERGIES_H_
#define OPENMM_AFFINITY_HOST_ENERGIES_H_

#include "AffinityModel.h"
#include <vector>

namespace AffinityPlugin {

/**
 * Energies [B] of a model, on its device and in its dtype, read back to the host in float64,
 * with the model's check that every one is finite (which throws, naming the pose, as the
 * model's own call would). One read-back for the whole tensor: on a GPU each waits for the
 * device.
 */
std::vector<double> finiteEnergiesOnHost(const AffinityModel& model, const torch::Tensor& energies);

} // namespace AffinityPlugin

#endif
