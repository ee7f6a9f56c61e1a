// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_SCORING_OPTIONS_H_
#define AFFINITY_CLI_SCORING_OPTIONS_H_

#include "AffinityDefaults.h"
#include "DeviceName.h"
#include "Precision.h"
#include "ToolCommandLine.h"
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>

namespace AffinityCli {

/**
 * The options that affinity-rescore and affinity-train share: how complexes are built, how
 * poses combine, how ΔG is read out and where the model runs. Both tools add them to their
 * command line with addScoringOptions and check them with checkScoringOptions, so each has
 * one name, one unit, one default and one parser (the plugin's fromName functions).
 */
struct ScoringOptions {
    /** "boltzmann", "max" (the strongest binding pose: smooth minimum of ΔG) or "mean". */
    std::string combination = "boltzmann";
    /** t of the smooth maximum; larger is closer to the best single pose. */
    double maxScale = AffinityPlugin::DefaultSmoothMaxScale;
    /** T in K, for the Boltzmann weights, the readouts and models that return kT. */
    double temperature = AffinityPlugin::DefaultTemperature;
    /** "none" (or "dg": ΔG itself), "pki" or "pic50" (AffinityPlugin::Readout::fromName). */
    std::string readout = "none";
    /** [S] and K_m of the pic50 readout, in one unit. */
    double substrateConcentration = 0.0;
    double michaelisConstant = 1.0;
    /**
     * Receptor atoms within this distance (nm) of any atom of any pose of a ligand form its
     * pocket. A model's pocket_cutoff_nm attribute replaces the default when
     * the option is not given (resolvePocketCutoff).
     */
    double pocketCutoff = AffinityPlugin::DefaultPocketCutoffNm;
    bool pocketCutoffGiven = false;
    /** "heavy-atoms", "as-read", or "" for the model's own (AtomConvention.h). */
    std::string atomConvention;
    /** "cpu", "cuda" or "cuda:i", parsed into deviceName. */
    std::string device = "cpu";
    AffinityPlugin::DeviceName deviceName;
    /** "auto", "double" or "single", parsed into precisionKind; a tool may change the default. */
    std::string precision = "auto";
    Precision precisionKind = Precision::Auto;
    /** Poses per model call; 0 chooses from memoryBudgetMiB (CUDA) or one pose (CPU). */
    int batchSize = 0;
    /** The memory a batch of poses may take when batchSize is 0, in MiB. */
    double memoryBudgetMiB = AffinityPlugin::DefaultMemoryBudgetMiB;
};

/**
 * Add the shared options to a tool's command line, with the current values of options as
 * their defaults. Every name is a choice in any case (-c Boltzmann), stored as listed.
 */
void addScoringOptions(boost::program_options::options_description& description, ScoringOptions& options);

/**
 * Check the shared options after the command line was stored and notified: every name is
 * parsed by its own parser (Combination::fromName, Readout::fromName, atomConventionFromName,
 * AffinityPlugin::DeviceName::fromName, precisionFromName) and every number checked.
 *
 * @throws CommandLineError naming the option and what it expects
 */
void checkScoringOptions(const boost::program_options::variables_map& values, ScoringOptions& options);

/** The pocket cutoff of a run: the option when given, else the model's declared one, else the default. */
inline double resolvePocketCutoff(const ScoringOptions& options, double declared) {
    return options.pocketCutoffGiven || !(declared > 0.0) ? options.pocketCutoff : declared;
}

} // namespace AffinityCli

#endif
