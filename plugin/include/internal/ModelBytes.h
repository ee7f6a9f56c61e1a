// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_MODEL_BYTES_H_
#define OPENMM_AFFINITY_MODEL_BYTES_H_

// The model file's bytes, read once for every caller, and the check that they are a TorchScript
// module, without LibTorch's headers (AffinityForce uses both; AffinityModel.cpp implements them).

#include <string>

namespace AffinityPlugin {

/**
 * The contents of a model file.
 *
 * @throws OpenMMException naming the file when it cannot be opened
 */
std::string readModelFile(const std::string& file);

/**
 * Check that bytes load as a TorchScript module, so that a damaged model is refused when the
 * Force is made rather than when a Context is. Its forward is checked against a contract later,
 * with the Force's settings (its global parameters and periodicity decide which arguments it
 * gets).
 *
 * @param origin  where the bytes came from, for the message
 * @throws OpenMMException naming origin and LibTorch's reason
 */
void checkModelLoads(const std::string& bytes, const std::string& origin);

} // namespace AffinityPlugin

#endif
