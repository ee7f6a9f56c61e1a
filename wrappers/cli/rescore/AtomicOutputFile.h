// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_ATOMIC_OUTPUT_FILE_H_
#define AFFINITY_RESCORE_ATOMIC_OUTPUT_FILE_H_

#include <fstream>
#include <string>

namespace AffinityRescore {

/**
 * An output file that appears complete or not at all: it is written to a hidden temporary
 * file beside the target (".NAME.partial-PID") and renamed over the target by commit(), which
 * is atomic within one file system. A run that fails, or is interrupted by SIGINT, SIGTERM or
 * SIGHUP once removeOnSignal() has been called, removes the temporary file and leaves any
 * earlier file of that name untouched.
 */
class AtomicOutputFile {
public:
    /** @throws std::runtime_error naming the file when the temporary file cannot be created */
    explicit AtomicOutputFile(const std::string& path);
    /** Removes the temporary file unless committed. */
    ~AtomicOutputFile();
    AtomicOutputFile(const AtomicOutputFile&) = delete;
    AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;
    std::ostream& stream() {
        return out;
    }
    const std::string& path() const {
        return target;
    }
    /** Flush, close and rename into place. @throws std::runtime_error when writing failed */
    void commit();
    /** Install the signal handlers that remove uncommitted temporary files before exiting. */
    static void removeOnSignal();

private:
    std::string target, temporary;
    std::ofstream out;
    int slot = -1;
    bool committed = false;
};

} // namespace AffinityRescore

#endif
