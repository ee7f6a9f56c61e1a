// SPDX-License-Identifier: MIT
#include "PendingTemporaryFiles.h"
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

using namespace AffinityCli;

namespace {

// Plain arrays, because a signal handler may call unlink() and write() but must not touch
// std::string or the heap.
constexpr int MaxPendingFiles = 16;
constexpr size_t MaxPathLength = 4096;
constexpr size_t MaxNoteLength = 4096;
char pendingPaths[MaxPendingFiles][MaxPathLength];
volatile sig_atomic_t pendingInUse[MaxPendingFiles];
char interruptNote[MaxNoteLength];
volatile sig_atomic_t interruptNoteLength = 0;

// Every signal whose default action ends the process and that a handler can catch.
constexpr int CaughtSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE,   SIGALRM, SIGTERM, SIGUSR1,
                                 SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGPOLL, SIGSYS,
                                 SIGTRAP, SIGABRT, SIGSEGV, SIGBUS,    SIGFPE,  SIGILL};

sigset_t caughtSet() {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : CaughtSignals)
        sigaddset(&set, signal);
    return set;
}

void removePendingAndDie(int signal) {
    for (int i = 0; i < MaxPendingFiles; i++)
        if (pendingInUse[i])
            unlink(pendingPaths[i]);
    if (interruptNoteLength > 0 && signal != SIGPIPE) {
        ssize_t ignored = write(STDERR_FILENO, interruptNote, (size_t)interruptNoteLength);
        (void)ignored;
    }
    // Die of the same signal, so that the parent sees how the run ended: the signal is
    // blocked while this handler runs and is delivered, with its default action, on return.
    struct sigaction fallback = {};
    fallback.sa_handler = SIG_DFL;
    sigaction(signal, &fallback, nullptr);
    raise(signal);
}

} // namespace

int PendingTemporaryFiles::add(const std::string& path) {
    if (path.size() >= MaxPathLength)
        throw std::runtime_error("the path " + path + " is too long");
    for (int i = 0; i < MaxPendingFiles; i++)
        if (!pendingInUse[i]) {
            std::strcpy(pendingPaths[i], path.c_str());
            pendingInUse[i] = 1;
            return i;
        }
    throw std::runtime_error("more than " + std::to_string(MaxPendingFiles) + " outputs are open at once");
}

void PendingTemporaryFiles::release(int slot) {
    if (slot >= 0 && slot < MaxPendingFiles)
        pendingInUse[slot] = 0;
}

void PendingTemporaryFiles::removeOnSignal() {
    static bool installed = false;
    if (installed)
        return;
    installed = true;
    for (int signal : CaughtSignals) {
        struct sigaction previous = {};
        if (sigaction(signal, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN)
            continue;
        struct sigaction action = {};
        action.sa_handler = removePendingAndDie;
        action.sa_mask = caughtSet();
        sigaction(signal, &action, nullptr);
    }
}

void PendingTemporaryFiles::setInterruptNote(const std::string& note) {
    interruptNoteLength = 0;
    const size_t length = std::min(note.size(), MaxNoteLength);
    std::memcpy(interruptNote, note.data(), length);
    interruptNoteLength = (sig_atomic_t)length;
}

PendingTemporaryFiles::SignalBlock::SignalBlock() {
    static_assert(sizeof(sigset_t) <= sizeof(saved), "sigset_t does not fit");
    const sigset_t set = caughtSet();
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &set, &old);
    std::memcpy(saved, &old, sizeof(old));
}

PendingTemporaryFiles::SignalBlock::~SignalBlock() {
    sigset_t old;
    std::memcpy(&old, saved, sizeof(old));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}
