// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BASE64_H_
#define OPENMM_AFFINITY_BASE64_H_

#include <string>

namespace AffinityPlugin {

/** Encode bytes as base64 (RFC 4648, with padding). */
std::string base64Encode(const std::string& bytes);
/**
 * Decode base64 text; white space is ignored.
 *
 * @throws OpenMMException naming the offset of the first character that is not base64
 */
std::string base64Decode(const std::string& text);

} // namespace AffinityPlugin

#endif
