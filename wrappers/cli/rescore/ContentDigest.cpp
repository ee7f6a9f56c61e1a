// SPDX-License-Identifier: MIT
#include "ContentDigest.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

using namespace AffinityRescore;

void ContentDigest::add(const void* data, size_t size) {
    const unsigned char* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; i++) {
        state ^= bytes[i];
        state *= 0x100000001b3ull;
    }
}

void ContentDigest::add(const std::string& text) {
    const uint64_t size = text.size();
    add(&size, sizeof(size));
    add(text.data(), text.size());
}

std::string ContentDigest::hex() const {
    char text[17];
    std::snprintf(text, sizeof(text), "%016llx", (unsigned long long)state);
    return text;
}

std::string ContentDigest::ofFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open the file: " + std::strerror(errno));
    ContentDigest digest;
    std::vector<char> block(1 << 16);
    while (in.read(block.data(), (std::streamsize)block.size()) || in.gcount() > 0)
        digest.add(block.data(), (size_t)in.gcount());
    if (in.bad())
        throw std::runtime_error(path + ": cannot read the file");
    return digest.hex();
}
