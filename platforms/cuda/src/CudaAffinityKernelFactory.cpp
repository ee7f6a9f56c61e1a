// SPDX-License-Identifier: MIT
#include "AffinityExport.h"
#include "CudaAffinityKernels.h"
#include "openmm/KernelFactory.h"
#include "openmm/OpenMMException.h"
#include "openmm/cuda/CudaPlatform.h"
#include "openmm/internal/ContextImpl.h"

using namespace AffinityPlugin;
using namespace OpenMM;

namespace {

/** Makes the AffinityForce kernel of the CUDA platform, bound to the Context's CudaContext. */
class CudaAffinityKernelFactory : public KernelFactory {
public:
    KernelImpl* createKernelImpl(std::string name, const Platform& platform, ContextImpl& context) const override {
        if (name != CalcAffinityForceKernel::Name())
            throw OpenMMException("OpenMMAffinityCUDA: no kernel named '" + name + "'");
        auto& data = *static_cast<CudaPlatform::PlatformData*>(context.getPlatformData());
        return new CudaCalcAffinityForceKernel(name, platform, *data.contexts[0]);
    }
};

} // namespace

extern "C" OPENMM_EXPORT_AFFINITY void registerPlatforms() {}

extern "C" OPENMM_EXPORT_AFFINITY void registerKernelFactories() {
    // The CUDA platform is itself a plugin; register only where it was loaded.
    for (int i = 0; i < Platform::getNumPlatforms(); i++) {
        Platform& platform = Platform::getPlatform(i);
        if (platform.getName() == "CUDA")
            platform.registerKernelFactory(CalcAffinityForceKernel::Name(), new CudaAffinityKernelFactory());
    }
}
