// SPDX-License-Identifier: MIT
#include "CheckpointFile.h"
#include "Sha256.h"
#include "openmm/OpenMMException.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

const std::string HeaderStart = "affinity-train checkpoint 2 ";

std::string folderOf(const std::string& file) {
    const size_t slash = file.find_last_of('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

std::string temporaryFor(const std::string& file) {
    const size_t slash = file.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "" : file.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? file : file.substr(slash + 1);
    return folder + "." + name + ".partial-" + std::to_string(getpid());
}

bool writeAll(int fd, const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

} // namespace

void writeCheckpointFile(const std::string& file, const std::string& archive) {
    const std::string temporary = temporaryFor(file);
    const std::string contents =
        HeaderStart + std::to_string(archive.size()) + " " + AffinityPlugin::sha256Hex(archive) + "\n" + archive;
    auto fail = [&](const std::string& step, int fd) {
        const std::string reason = std::strerror(errno);
        if (fd >= 0)
            ::close(fd);
        ::unlink(temporary.c_str());
        throw OpenMMException("affinity-train: cannot write the checkpoint " + file + " (" + step + " " + temporary +
                              ": " + reason + "); the previous checkpoint, if any, is unchanged");
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("creating", -1);
    if (!writeAll(fd, contents))
        fail("writing", fd);
    if (::fsync(fd) != 0)
        fail("flushing", fd);
    if (::close(fd) != 0)
        fail("closing", -1);
    if (std::rename(temporary.c_str(), file.c_str()) != 0)
        fail("renaming", -1);
    // The rename itself reaches the disk only with its folder.
    const int folder = ::open(folderOf(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder >= 0) {
        ::fsync(folder);
        ::close(folder);
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
