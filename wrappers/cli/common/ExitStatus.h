// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_EXIT_STATUS_H_
#define AFFINITY_CLI_EXIT_STATUS_H_

#include <stdexcept>
#include <string>

namespace AffinityCli {

/**
 * The exit statuses of affinity-rescore and affinity-train, one set for both (listed in
 * their --help and the README), so that a pipeline tells a wrong command line from a failed
 * run and from a run that left some input out.
 */
enum ExitStatus {
    /** Everything asked for was done. */
    Success = 0,
    /** The run stopped: an unusable input, model, receptor or output, or an error while running. */
    Failure = 1,
    /** The command line is wrong (an unknown option, a bad value, a missing required option). */
    UsageError = 2,
    /** The run finished, but at least one ligand or file was skipped (each one reported on stderr). */
    SomethingSkipped = 3
};

/** The text of --help that lists the statuses above. */
const char* exitStatusHelp();

/** A wrong command line: the tool prints the message with a pointer to --help and exits UsageError. */
class CommandLineError : public std::runtime_error {
public:
    explicit CommandLineError(const std::string& message) : std::runtime_error(message) {}
};

} // namespace AffinityCli

#endif
