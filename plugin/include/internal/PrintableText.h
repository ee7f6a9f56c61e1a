// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PRINTABLE_TEXT_H_
#define OPENMM_AFFINITY_PRINTABLE_TEXT_H_

#include <string>

namespace AffinityPlugin {

/**
 * Text from a damaged file made fit for a message: bytes outside printable ASCII (but newlines
 * and tabs) written as \xNN. A record name of junk bytes would otherwise make the message
 * invalid UTF-8, which Python cannot turn into the exception's text.
 */
inline std::string printableText(const std::string& text) {
    static const char* const digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : text) {
        if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t')
            out += (char)c;
        else
            out += std::string("\\x") + digits[c >> 4] + digits[c & 15];
    }
    return out;
}

} // namespace AffinityPlugin

#endif
