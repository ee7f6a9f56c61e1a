// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FORCE_PROXY_H_
#define OPENMM_AFFINITY_FORCE_PROXY_H_

#include "AffinityExport.h"
#include "openmm/serialization/SerializationProxy.h"

namespace AffinityPlugin {

/**
 * The XML serialization proxy of AffinityForce. The model is embedded as base64 of its
 * TorchScript bytes, so a serialized System is self-contained.
 */
class OPENMM_EXPORT_AFFINITY AffinityForceProxy : public OpenMM::SerializationProxy {
public:
    /**
     * The newest version. Version 2 adds global parameters, energy parameter derivatives and
     * forces output to version 1; a force that uses none of them is written as version 1, which
     * earlier builds of the plugin read too. Reading accepts every version up to this one.
     */
    static constexpr int Version = 2;
    AffinityForceProxy();
    void serialize(const void* object, OpenMM::SerializationNode& node) const override;
    void* deserialize(const OpenMM::SerializationNode& node) const override;
};

} // namespace AffinityPlugin

#endif
