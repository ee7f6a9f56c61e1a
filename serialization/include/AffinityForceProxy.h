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
    /** The version written; reading accepts this version only. */
    static constexpr int Version = 1;
    AffinityForceProxy();
    void serialize(const void* object, OpenMM::SerializationNode& node) const override;
    void* deserialize(const OpenMM::SerializationNode& node) const override;
};

} // namespace AffinityPlugin

#endif
