// SPDX-License-Identifier: MIT
#include "AffinityExport.h"
#include "CpuAffinityKernels.h"
#include "openmm/KernelFactory.h"
#include "openmm/OpenMMException.h"
#include "openmm/internal/ContextImpl.h"
#include <string>

using namespace AffinityPlugin;
using namespace OpenMM;

namespace {

/** Makes the AffinityForce kernel of the CPU platform, with the Context's thread count. */
class CpuAffinityKernelFactory : public KernelFactory {
public:
    KernelImpl* createKernelImpl(std::string name, const Platform& platform, ContextImpl& context) const override {
        if (name != CalcAffinityForceKernel::Name())
            throw OpenMMException("OpenMMAffinityCPU: no kernel named '" + name + "'");
        int threads = 0;
        try {
            threads = std::stoi(platform.getPropertyValue(context.getOwner(), "Threads"));
        } catch (const std::exception&) {
            threads = 0; // leave LibTorch's default
        }
        return new CpuCalcAffinityForceKernel(name, platform, threads);
    }
};

} // namespace

extern "C" OPENMM_EXPORT_AFFINITY void registerPlatforms() {}

extern "C" OPENMM_EXPORT_AFFINITY void registerKernelFactories() {
    // The CPU platform is itself a plugin; register only where it was loaded.
    for (int i = 0; i < Platform::getNumPlatforms(); i++) {
        Platform& platform = Platform::getPlatform(i);
        if (platform.getName() == "CPU")
            platform.registerKernelFactory(CalcAffinityForceKernel::Name(), new CpuAffinityKernelFactory());
    }
}
