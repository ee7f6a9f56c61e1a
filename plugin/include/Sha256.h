// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_SHA256_H_
#define OPENMM_AFFINITY_SHA256_H_

// SHA-256 (FIPS 180-4), for the checksums that tell a damaged model or checkpoint from an intact
// one: the XML of an AffinityForce stores its model's, affinity-train's checkpoints their own.

#include "AffinityExport.h"
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace AffinityPlugin {

/** A SHA-256 digest computed over bytes handed in pieces. */
class OPENMM_EXPORT_AFFINITY Sha256 {
public:
    Sha256();
    /** Add bytes to the message. */
    void update(const void* data, size_t size);
    void update(const std::string& bytes) {
        update(bytes.data(), bytes.size());
    }
    /** The digest of everything added, as 64 lower-case hexadecimal digits; ends the message. */
    std::string hexDigest();

private:
    void compressBlock(const unsigned char* block);
    std::array<uint32_t, 8> state;
    std::array<unsigned char, 64> pending;
    size_t pendingSize = 0;
    uint64_t messageBytes = 0;
};

/** The SHA-256 of bytes, as 64 lower-case hexadecimal digits. */
OPENMM_EXPORT_AFFINITY std::string sha256Hex(const std::string& bytes);

} // namespace AffinityPlugin

#endif
