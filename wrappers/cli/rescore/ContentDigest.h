// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_CONTENT_DIGEST_H_
#define AFFINITY_RESCORE_CONTENT_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace AffinityRescore {

/**
 * A 64-bit FNV-1a digest: enough to tell a changed input or a torn journal entry from the
 * one that was written (not a defence against someone forging a collision).
 */
class ContentDigest {
public:
    void add(const void* data, size_t size);
    /** Adds the length too, so that ("ab", "c") and ("a", "bc") differ. */
    void add(const std::string& text);
    std::string hex() const;
    /** The digest of a file's bytes. @throws std::runtime_error naming the file when it cannot be read */
    static std::string ofFile(const std::string& path);

private:
    uint64_t state = 0xcbf29ce484222325ull;
};

/**
 * The SHA-256 of a file's bytes (AffinityPlugin::Sha256), as 64 lower-case hexadecimal digits:
 * the model's checksum in the JSON summary, comparable with sha256sum's.
 * @throws std::runtime_error naming the file when it cannot be read
 */
std::string sha256OfFile(const std::string& path);

} // namespace AffinityRescore

#endif
