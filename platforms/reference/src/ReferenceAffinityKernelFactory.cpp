// SPDX-License-Identifier: MIT
#include "AffinityExport.h"
#include "ReferenceAffinityKernels.h"
#include "openmm/KernelFactory.h"
#include "openmm/OpenMMException.h"
#include "openmm/internal/ContextImpl.h"

using namespace AffinityPlugin;
using namespace OpenMM;

namespace {

/** Makes the AffinityForce kernel of the Reference platform. */
class ReferenceAffinityKernelFactory : public KernelFactory {
public:
    KernelImpl* createKernelImpl(std::string name, const Platform& platform, ContextImpl& context) const override {
        if (name == CalcAffinityForceKernel::Name())
            return new ReferenceCalcAffinityForceKernel(name, platform);
        throw OpenMMException("OpenMMAffinityReference: no kernel named '" + name + "'");
    }
};

} // namespace

extern "C" OPENMM_EXPORT_AFFINITY void registerPlatforms() {}

extern "C" OPENMM_EXPORT_AFFINITY void registerKernelFactories() {
    for (int i = 0; i < Platform::getNumPlatforms(); i++) {
        Platform& platform = Platform::getPlatform(i);
        if (platform.getName() == "Reference")
            platform.registerKernelFactory(CalcAffinityForceKernel::Name(), new ReferenceAffinityKernelFactory());
    }
}
