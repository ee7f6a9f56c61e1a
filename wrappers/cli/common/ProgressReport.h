// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_PROGRESS_REPORT_H_
#define AFFINITY_CLI_PROGRESS_REPORT_H_

#include <chrono>
#include <string>

namespace AffinityCli {

/**
 * Progress of a long loop on stderr, for both tools: a bar redrawn in place with the share
 * done, the rate and the time left. It is drawn only on a terminal and without --quiet
 * (shownOnStderr), so that logs of batch jobs hold no carriage returns; messages (a skipped
 * ligand) are printed in every case, on a line of their own.
 */
class ProgressReport {
public:
    /** Whether a bar belongs on stderr: it is a terminal and the user did not ask for quiet. */
    static bool shownOnStderr(bool quiet);
    /**
     * @param total     the amount of work (bytes of input, ligands of an epoch)
     * @param itemUnit  what the rate counts ("poses", "ligands")
     * @param shown     false to draw nothing (messages still print)
     */
    ProgressReport(double total, std::string itemUnit, bool shown);
    /**
     * Report the state; draws only when enough time has passed since the last drawing.
     *
     * @param done     the work done, in the unit of total
     * @param items    the items done, for the rate
     * @param details  what else the line shows ("12 ligands, 1 skipped")
     */
    void update(double done, long long items, const std::string& details);
    /** Draw the last state and end the line. */
    void finish(long long items, const std::string& details);
    /** Clear the bar, leaving the line empty for what follows. */
    void clear();
    /** Print a message on a line of its own, so that it does not run into the bar. */
    void message(const std::string& text);

    /** "42 s", "3 min 05 s", "2 h 07 min": a duration as the bar shows it. */
    static std::string duration(double seconds);

private:
    void draw(double fraction, long long items, const std::string& details);
    double total;
    std::string itemUnit;
    bool shown;
    bool barShown = false;
    size_t lastWidth = 0;
    std::chrono::steady_clock::time_point start, lastDrawn;
};

} // namespace AffinityCli

#endif
