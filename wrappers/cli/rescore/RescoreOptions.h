// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_OPTIONS_H_
#define AFFINITY_RESCORE_OPTIONS_H_

#include "ExitStatus.h"
#include "PoseInputs.h"
#include "ScoringOptions.h"
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace AffinityRescore {

/** An option as a run took it, for the JSON summary's settings: its value typed as JSON writes it. */
struct OptionSetting {
    /** The option's long name, without "--" ("temperature"). */
    std::string name;
    std::variant<std::string, std::vector<std::string>, double, int, bool> value;
    /** Whether the value is the option's default (or, for --model, the default model) rather than given. */
    bool defaulted = false;
};

/**
 * What the command line of affinity-rescore asks for: the options both tools share
 * (ScoringOptions: combination, temperature, readout, pocket, atoms, device, precision,
 * batches) and the rescoring run's own.
 */
struct RescoreOptions : AffinityCli::ScoringOptions {
    std::string model;
    std::string receptor;
    /** The pose files to read, in order: --poses with its directories and patterns expanded (PoseInputs.h). */
    std::vector<std::string> poseFiles;
    /** --format and --ligand-tag. */
    AffinityCli::PoseInputOptions poseInput;
    /** LibTorch's intra-op threads on the CPU. */
    int threads = 1;
    std::string csvOutput;
    std::string sdfOutput;
    std::string jsonOutput;
    /** How many ligands the table printed at the end shows (best first); 0 for none. */
    int top = 10;
    /** Whether progress goes to stderr. */
    bool quiet = false;
    /** Where the run journals its ligands ("" for the default beside --out; see --help). */
    std::string journal;
    bool noJournal = false;
    /** Continue the run the journal holds. */
    bool resume = false;
    /**
     * Every option that shapes the outputs, as "--name" and its value (given or default): what
     * a resumed run must share with the run it continues. --quiet, --top and the journal's own
     * options are left out, as they change nothing in the output files.
     */
    std::vector<std::pair<std::string, std::string>> outputShapingOptions;
    /**
     * The same options but the outputs' paths (--out, --out-sdf, --json), typed and sorted by
     * name (--model as resolved), for the JSON summary.
     */
    std::vector<OptionSetting> outputShapingSettings;
};

/** Exit statuses (shared with affinity-train), listed in --help. */
using AffinityCli::ExitStatus;
using AffinityCli::Failure;
using AffinityCli::SomethingSkipped;
using AffinityCli::Success;
using AffinityCli::UsageError;

/**
 * Parse the command line. Prints --help, --version or a usage error itself and sets exitStatus to the
 * status to exit with; returns true when the options are complete and the run should go on.
 */
bool parseRescoreOptions(int argc, const char* const argv[], RescoreOptions& options, int& exitStatus);

} // namespace AffinityRescore

#endif
