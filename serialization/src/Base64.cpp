// SPDX-License-Identifier: MIT
#include "Base64.h"
#include "openmm/OpenMMException.h"
#include <array>
#include <cctype>

using namespace AffinityPlugin;

namespace {

const char* Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::array<int, 256> decodingTable() {
    std::array<int, 256> table;
    table.fill(-1);
    for (int i = 0; i < 64; i++)
        table[(unsigned char)Alphabet[i]] = i;
    return table;
}

} // namespace

std::string AffinityPlugin::base64Encode(const std::string& bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = ((unsigned char)bytes[i] << 16) | ((unsigned char)bytes[i + 1] << 8) | (unsigned char)bytes[i + 2];
        out += Alphabet[(v >> 18) & 63];
        out += Alphabet[(v >> 12) & 63];
        out += Alphabet[(v >> 6) & 63];
        out += Alphabet[v & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned v = (unsigned char)bytes[i] << 16;
        if (rest == 2)
            v |= (unsigned char)bytes[i + 1] << 8;
        out += Alphabet[(v >> 18) & 63];
        out += Alphabet[(v >> 12) & 63];
        out += rest == 2 ? Alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string AffinityPlugin::base64Decode(const std::string& text) {
    static const std::array<int, 256> table = decodingTable();
    std::string out;
    out.reserve(text.size() / 4 * 3);
    unsigned buffer = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < text.size(); i++) {
        const unsigned char c = text[i];
        if (std::isspace(c))
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        const int value = table[c];
        if (value < 0 || padding)
            throw OpenMM::OpenMMException("AffinityForce: the embedded model is not valid base64 (character " +
                                          std::to_string(i) + ")");
        buffer = (buffer << 6) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += (char)((buffer >> bits) & 0xFF);
        }
    }
    return out;
}
