// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_PENDING_TEMPORARY_FILES_H_
#define AFFINITY_CLI_PENDING_TEMPORARY_FILES_H_

#include <string>

namespace AffinityCli {

/**
 * The temporary files of outputs not yet committed, kept where a signal handler can remove
 * them: a process that dies of a signal it can catch (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGPIPE, SIGXFSZ, SIGABRT, SIGSEGV, ...) leaves none behind. Only SIGKILL (and SIGSTOP
 * followed by a kill) cannot be caught; its temporary files are named ".NAME.partial-PID".
 */
class PendingTemporaryFiles {
public:
    /** Register a path; returns its slot. @throws std::runtime_error when the path is too long or all slots are taken
     */
    static int add(const std::string& path);
    /** Forget a slot (the file was renamed or removed). */
    static void release(int slot);
    /**
     * Install the handlers (once): on a catchable signal, remove every registered file, print
     * the note set by setInterruptNote, and die of the same signal. A signal the process was
     * started with ignored (nohup's SIGHUP, `ulimit -f` runs with SIGXFSZ ignored) stays ignored.
     */
    static void removeOnSignal();
    /** A line printed on stderr when a signal ends the run ("" for none). */
    static void setInterruptNote(const std::string& note);

    /** Blocks the signals the handlers catch for its lifetime, so that a short sequence of steps is not cut in two. */
    class SignalBlock {
    public:
        SignalBlock();
        ~SignalBlock();
        SignalBlock(const SignalBlock&) = delete;
        SignalBlock& operator=(const SignalBlock&) = delete;

    private:
        unsigned char saved[256];
    };
};

} // namespace AffinityCli

#endif
