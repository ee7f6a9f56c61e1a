// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_PROGRESS_REPORT_H_
#define AFFINITY_RESCORE_PROGRESS_REPORT_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace AffinityRescore {

/**
 * Progress on stderr: a bar redrawn in place when stderr is a terminal, otherwise a plain
 * line every few seconds (logs of batch jobs stay readable). The fraction done is the share
 * of the pose files' bytes consumed, as the ligand count is not known before the end.
 */
class ProgressReport {
public:
    /**
     * @param totalBytes  the summed size of the pose files
     * @param enabled     false to print nothing
     */
    ProgressReport(uint64_t totalBytes, bool enabled);
    /** Report the state after a ligand; draws only when enough time has passed. */
    void update(uint64_t bytesDone, long long ligands, long long poses, long long skipped);
    /** Print the last state and end the line. */
    void finish(long long ligands, long long poses, long long skipped);
    /**
     * Print a message (a skipped ligand) on a line of its own, so that it does not run into
     * the bar.
     */
    void message(const std::string& text);

private:
    void draw(double fraction, long long ligands, long long poses, long long skipped);
    uint64_t totalBytes;
    bool enabled, terminal;
    bool barShown = false;
    std::chrono::steady_clock::time_point start, lastDrawn;
};

} // namespace AffinityRescore

#endif
