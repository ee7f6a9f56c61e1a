// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_MODEL_BYTES_H_
#define OPENMM_AFFINITY_MODEL_BYTES_H_

// The model file's bytes, read once for every caller, and the checks that they are an intact
// TorchScript module, without LibTorch's headers. Every path that loads TorchScript (AffinityForce,
// AffinityModel, the XML proxy, the command-line tools, affinity-train's checkpoints) goes
// through checkTorchScriptArchive before LibTorch reads the bytes.

#include "AffinityExport.h"
#include <string>

namespace AffinityPlugin {

/**
 * The contents of a model file.
 *
 * @throws OpenMMException naming the file when it cannot be opened
 */
OPENMM_EXPORT_AFFINITY std::string readModelFile(const std::string& file);

/**
 * Check that bytes are an intact TorchScript archive before LibTorch reads them, which it does
 * without these checks (a damaged file could crash it or load damaged weights silently):
 * - a zip archive whose directory and records agree, each record matching its CRC-32;
 * - a data.pkl (and constants.pkl where present) that TorchScript's unpickler can read;
 * - every storage those pickles name has its record, of at least the bytes they claim;
 * - every tensor's offset, sizes and strides stay within its storage.
 *
 * @throws std::runtime_error with the reason (the caller names the input)
 */
OPENMM_EXPORT_AFFINITY void checkTorchScriptArchive(const std::string& bytes);

/**
 * Check that bytes load as a TorchScript module, so that a damaged model is refused when the
 * Force is made rather than when a Context is. Its forward is checked against a contract later,
 * with the Force's settings (its global parameters and periodicity decide which arguments it
 * gets).
 *
 * @param origin  where the bytes came from, for the message
 * @throws OpenMMException naming origin and the reason
 */
void checkModelLoads(const std::string& bytes, const std::string& origin);

} // namespace AffinityPlugin

#endif
