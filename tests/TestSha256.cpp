// SPDX-License-Identifier: MIT
// Sha256 against the test vectors published with FIPS 180-4 (NIST's "SHA-256 examples" and the
// million-'a' message of FIPS 180-2 appendix B.3), whole and fed in pieces.

#include "Sha256.h"
#include <catch2/catch.hpp>
#include <string>

using namespace AffinityPlugin;

TEST_CASE("Sha256 gives the FIPS 180-4 digests", "[sha256]") {
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256Hex(
              "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrs"
              "tnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    CHECK(sha256Hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("Sha256 fed in pieces equals it fed whole", "[sha256]") {
    const std::string message(1000000, 'a');
    for (size_t piece : {1, 7, 63, 64, 65, 1000}) {
        Sha256 digest;
        for (size_t at = 0; at < message.size(); at += piece)
            digest.update(message.substr(at, piece));
        CHECK(digest.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}
