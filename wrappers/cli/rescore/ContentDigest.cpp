// SPDX-License-Identifier: MIT
#include "ContentDigest.h"
#include "Sha256.h"
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

namespace {

/** Hand every byte of a file, in blocks, to add(data, size). */
template <class Add> void forEachBlockOf(const std::string& path, Add add) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open the file: " + std::strerror(errno));
    std::vector<char> block(1 << 16);
    while (in.read(block.data(), (std::streamsize)block.size()) || in.gcount() > 0)
        add(block.data(), (size_t)in.gcount());
    if (in.bad())
        throw std::runtime_error(path + ": cannot read the file");
}

} // namespace

std::string ContentDigest::ofFile(const std::string& path) {
    ContentDigest digest;
    forEachBlockOf(path, [&](const char* data, size_t size) { digest.add(data, size); });
    return digest.hex();
}

std::string AffinityRescore::sha256OfFile(const std::string& path) {
    AffinityPlugin::Sha256 digest;
    forEachBlockOf(path, [&](const char* data, size_t size) { digest.update(data, size); });
    return digest.hexDigest();
}
