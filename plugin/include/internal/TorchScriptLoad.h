// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_TORCHSCRIPT_LOAD_H_
#define OPENMM_AFFINITY_TORCHSCRIPT_LOAD_H_

#include <string>
#include <torch/script.h>

namespace AffinityPlugin {

/**
 * Load a TorchScript module from bytes checked first by checkTorchScriptArchive, without its
 * debug files (*.debug_pkl: source ranges for error messages, never needed to run it), with
 * every LibTorch error turned into an OpenMMException.
 *
 * @param who     the class or tool loading it, which starts the message ("AffinityForce")
 * @param origin  where the bytes came from ("'model.pt'")
 * @throws OpenMMException "<who>: cannot load the model from <origin>: <reason>; expected ..."
 */
torch::jit::Module loadTorchScript(const std::string& bytes, const std::string& who, const std::string& origin);

} // namespace AffinityPlugin

#endif
