// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_OUTPUT_FILE_H_
#define AFFINITY_CLI_OUTPUT_FILE_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace AffinityCli {

/**
 * One output of a run, written so that it appears complete or not at all.
 *
 * A regular file (or a path that does not exist yet) is written to a hidden temporary file
 * beside it (".NAME.partial-PID") and renamed over it by commit(). A symbolic link is followed
 * (to its final target, also a dangling link's) and its target is replaced that way, so the
 * link stays a link. A character device or FIFO (/dev/null, /dev/stdout, a named pipe) is
 * opened and written through, never renamed over.
 *
 * Writing never fails on the stream itself: the first error (ENOSPC, EFBIG, EIO) is kept and
 * every later byte dropped, so that a library writing into stream() (TorchScript's save) never
 * sees a failing stream; check(), prepare() and commit() report the error, naming the file.
 * The temporary file is removed by the destructor unless committed, and on a catchable signal
 * (PendingTemporaryFiles).
 *
 * Where the tool allows it (Dash::StandardOutput), the path "-" is standard output. Standard
 * output cannot be renamed into place, so the output is written to an anonymous temporary file
 * (in $TMPDIR, else /tmp; removed from its folder as soon as it is made, so that no exit, not
 * even SIGKILL, leaves it behind) and copied to standard output, whole, when the run commits
 * its outputs (commitTogether): a run that fails or is interrupted before that writes nothing
 * there.
 */
class OutputFile {
public:
    /** What the path "-" names: a file called "-" (the default), or standard output. */
    enum class Dash { File, StandardOutput };
    /**
     * Create the temporary file (or open the device) now, so that an output that cannot be
     * written is found before any work is done.
     * @param label  how messages name the output ("--out"); may be ""
     * @param dash   what the path "-" names
     * @throws std::runtime_error naming the output and the reason
     */
    OutputFile(const std::string& path, const std::string& label = "", Dash dash = Dash::File);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    std::ostream& stream();
    /** The path as given. */
    const std::string& path() const {
        return given;
    }
    /** @throws std::runtime_error when a write has failed */
    void check();
    /** Write out what is buffered, sync it to the disk and close. @throws std::runtime_error when that fails */
    void prepare();
    /**
     * Put a prepared file in place (a device: nothing to do; standard output: copy the output
     * there). @throws std::runtime_error when renaming or writing fails
     */
    void commit();
    /** Whether the output is a device or FIFO written through rather than a file replaced. */
    bool writesThrough() const {
        return throughDevice;
    }
    /** Whether the output goes to standard output (the path "-", where allowed). */
    bool toStandardOutput() const {
        return standardOutput;
    }

private:
    std::string describe() const;
    [[noreturn]] void fail(const std::string& what, int error) const;
    void openAnonymousTemporary();
    void copyToStandardOutput();
    std::string given, label, target, temporary;
    int descriptor = -1;
    int slot = -1;
    bool throughDevice = false, standardOutput = false, prepared = false, committed = false;
    class DescriptorBuffer;
    std::unique_ptr<DescriptorBuffer> buffer;
    std::unique_ptr<std::ostream> out;
};

/**
 * Commit the outputs of one run together: all are flushed, synced and checked first, and only
 * when every one succeeded is the one that goes to standard output (if any) copied there, and
 * then the files renamed into place, one after the other, with the caught signals held back
 * meanwhile (not while standard output is written: a reader that stalls it can still be
 * interrupted). A failure to write standard output replaces no file. A failure before the renames leaves every earlier
 * file as it was. What remains is the instant of the renames themselves: SIGKILL or a crash there, or a rename refused
 * part way (the folder made read-only during the run), leaves the outputs renamed so far new and the others old; the
 * error then names which are which.
 * @throws std::runtime_error naming the output that failed
 */
void commitTogether(const std::vector<OutputFile*>& outputs);

} // namespace AffinityCli

#endif
