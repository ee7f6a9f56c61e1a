// SPDX-License-Identifier: MIT
#include "internal/TorchScriptLoad.h"
#include "internal/ModelBytes.h"
#include "internal/PrintableText.h"
#include "openmm/OpenMMException.h"
#include <sstream>

using OpenMM::OpenMMException;

torch::jit::Module AffinityPlugin::loadTorchScript(const std::string& bytes, const std::string& who,
                                                   const std::string& origin) {
    auto refuse = [&](const std::string& reason) {
        return OpenMMException(who + ": cannot load the model from " + origin + ": " + printableText(reason) +
                               "; expected a TorchScript file written by torch.jit.save");
    };
    try {
        checkTorchScriptArchive(bytes);
    } catch (const std::runtime_error& e) {
        throw refuse(e.what());
    }
    std::istringstream in(bytes);
    try {
        // Without the debug files: a damaged one made the message of a compilation error throw
        // while it was being written, inside a noexcept what(), which ended the process.
        return torch::jit::load(in, torch::kCPU, /*load_debug_files=*/false);
    } catch (const c10::Error& e) {
        throw refuse(e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw refuse(e.what());
    }
}
