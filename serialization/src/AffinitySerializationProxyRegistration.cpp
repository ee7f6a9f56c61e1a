// SPDX-License-Identifier: MIT
#include "AffinityForce.h"
#include "AffinityForceProxy.h"
#include "openmm/serialization/SerializationProxy.h"
#include <typeinfo>

// Registered when the library is loaded, so that XmlSerializer knows AffinityForce as soon
// as a program links OpenMMAffinity or Python imports openmmaffinity.
extern "C" OPENMM_EXPORT_AFFINITY void registerAffinitySerializationProxies() {
    OpenMM::SerializationProxy::registerProxy(typeid(AffinityPlugin::AffinityForce),
                                              new AffinityPlugin::AffinityForceProxy());
}

namespace {
struct RegisterAtLoad {
    RegisterAtLoad() {
        registerAffinitySerializationProxies();
    }
} registerAtLoad;
} // namespace
