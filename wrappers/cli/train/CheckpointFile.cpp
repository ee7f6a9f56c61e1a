// SPDX-License-Identifier: MIT
#include "CheckpointFile.h"
#include "OutputFile.h"
#include "Sha256.h"
#include "openmm/OpenMMException.h"
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

const std::string HeaderStart = "affinity-train checkpoint 2 ";

} // namespace

void writeCheckpointFile(const std::string& file, const std::string& archive) {
    // Through OutputFile: replaced whole or not at all (temporary file, fsync, rename), its
    // temporary file removed on a signal, and a full disk reported here rather than thrown by
    // LibTorch's writer in its destructor (an abort).
    try {
        AffinityCli::OutputFile out(file, "--checkpoint");
        out.stream() << HeaderStart << archive.size() << " " << AffinityPlugin::sha256Hex(archive) << "\n";
        out.stream().write(archive.data(), (std::streamsize)archive.size());
        out.commit();
    } catch (const std::runtime_error& e) {
        throw OpenMMException("affinity-train: cannot write the checkpoint " + file + " (writing " + e.what() +
                              "); the previous checkpoint, if any, is unchanged");
    }
}

std::string readCheckpointFile(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw OpenMMException("affinity-train: cannot open the checkpoint " + file + ": " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string contents = buffer.str();
    if (contents.compare(0, 2, "PK") == 0)
        return contents;
    auto damaged = [&](const std::string& what) {
        return OpenMMException("affinity-train: the checkpoint " + file + " is damaged or not a checkpoint: " + what);
    };
    const size_t end = contents.find('\n');
    if (contents.compare(0, HeaderStart.size(), HeaderStart) != 0 || end == std::string::npos || end > 200)
        throw damaged("its first line is not '" + HeaderStart + "<bytes> <sha256>'");
    std::istringstream header(contents.substr(HeaderStart.size(), end - HeaderStart.size()));
    unsigned long long size = 0;
    std::string digest, rest;
    if (!(header >> size >> digest) || (header >> rest) || digest.size() != 64)
        throw damaged("its first line is not '" + HeaderStart + "<bytes> <sha256>'");
    const std::string archive = contents.substr(end + 1);
    if (archive.size() != size)
        throw damaged("it holds " + std::to_string(archive.size()) + " bytes after its header; the header states " +
                      std::to_string(size) + " (the file is truncated or was appended to)");
    const std::string actual = AffinityPlugin::sha256Hex(archive);
    if (actual != digest)
        throw damaged("its SHA-256 is " + actual + "; the header records " + digest);
    return archive;
}

} // namespace AffinityTrain
