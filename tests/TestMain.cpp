// SPDX-License-Identifier: MIT
// The main() of every Catch2 test program. It takes one option of its own,
// --platform NAME, and exits with 77 (CTest's "skipped") with a printed reason when that
// platform is not available here, e.g. CUDA on a machine without a GPU.
#define CATCH_CONFIG_RUNNER
#include "TestSupport.h"
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace {
std::string selectedPlatform = "Reference";
}

const std::string& AffinityTest::platformName() {
    return selectedPlatform;
}

void AffinityTest::loadPlugins() {
    static bool loaded = false;
    if (loaded)
        return;
    loaded = true;
    // OpenMM's own CPU and CUDA platforms, then this build's plugins (not installed copies).
    for (const char* lib : {"libOpenMMCPU.so", "libOpenMMCUDA.so"}) {
        try {
            OpenMM::Platform::loadPluginLibrary(std::string(AFFINITY_OPENMM_PLUGIN_DIR) + "/" + lib);
        } catch (const std::exception&) {
            // absent or unusable here (no CUDA driver); the platform check below reports it
        }
    }
    OpenMM::Platform::loadPluginsFromDirectory(AFFINITY_PLUGIN_BUILD_DIR);
}

OpenMM::Platform& AffinityTest::platform() {
    loadPlugins();
    return OpenMM::Platform::getPlatformByName(selectedPlatform);
}

std::string AffinityTest::model(const std::string& name) {
    return std::string(AFFINITY_TEST_MODEL_DIR) + "/" + name;
}

std::string AffinityTest::readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int main(int argc, char* argv[]) {
    std::vector<char*> args;
    for (int i = 0; i < argc; i++) {
        if (std::strcmp(argv[i], "--platform") == 0 && i + 1 < argc)
            selectedPlatform = argv[++i];
        else
            args.push_back(argv[i]);
    }
    AffinityTest::loadPlugins();
    bool found = false;
    for (int i = 0; i < OpenMM::Platform::getNumPlatforms(); i++)
        found |= OpenMM::Platform::getPlatform(i).getName() == selectedPlatform;
    if (!found) {
        std::cout << "SKIPPED: the OpenMM platform '" << selectedPlatform << "' is not available here";
        for (const std::string& failure : OpenMM::Platform::getPluginLoadFailures())
            std::cout << "\n  plugin load failure: " << failure;
        std::cout << std::endl;
        return 77;
    }
    return Catch::Session().run((int)args.size(), args.data());
}
