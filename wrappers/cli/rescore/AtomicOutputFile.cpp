// SPDX-License-Identifier: MIT
#include "AtomicOutputFile.h"
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

using namespace AffinityRescore;

namespace {

// The temporary files not yet committed, kept where a signal handler may read them: unlink()
// is async-signal-safe, std::string is not.
constexpr int MaxOpenFiles = 16;
constexpr size_t MaxPathLength = 4096;
char pendingPaths[MaxOpenFiles][MaxPathLength];
volatile sig_atomic_t pendingInUse[MaxOpenFiles];

void removePendingAndExit(int signal) {
    for (int i = 0; i < MaxOpenFiles; i++)
        if (pendingInUse[i])
            unlink(pendingPaths[i]);
    std::signal(signal, SIG_DFL);
    raise(signal);
}

std::string temporaryPathFor(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return folder + "." + name + ".partial-" + std::to_string(getpid());
}

} // namespace

AtomicOutputFile::AtomicOutputFile(const std::string& path) : target(path), temporary(temporaryPathFor(path)) {
    if (temporary.size() >= MaxPathLength)
        throw std::runtime_error("output " + path + ": the path is too long");
    for (int i = 0; i < MaxOpenFiles && slot < 0; i++)
        if (!pendingInUse[i]) {
            std::strcpy(pendingPaths[i], temporary.c_str());
            pendingInUse[i] = 1;
            slot = i;
        }
    out.open(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
        const std::string reason = std::strerror(errno);
        if (slot >= 0)
            pendingInUse[slot] = 0;
        throw std::runtime_error("output " + path + ": cannot create " + temporary + ": " + reason);
    }
}

AtomicOutputFile::~AtomicOutputFile() {
    if (!committed) {
        out.close();
        std::remove(temporary.c_str());
    }
    if (slot >= 0)
        pendingInUse[slot] = 0;
}

void AtomicOutputFile::commit() {
    out.flush();
    const bool written = (bool)out;
    out.close();
    if (!written || out.fail())
        throw std::runtime_error("output " + target + ": writing " + temporary + " failed (disk full?)");
    if (std::rename(temporary.c_str(), target.c_str()) != 0)
        throw std::runtime_error("output " + target + ": cannot rename " + temporary +
                                 " to it: " + std::strerror(errno));
    committed = true;
}

void AtomicOutputFile::removeOnSignal() {
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        std::signal(signal, removePendingAndExit);
}
