#ifndef AFFINITY_RESCORE_OPTIONS_H_
#define AFFINITY_RESCORE_OPTIONS_H_

#include <string>
#include <vector>

namespace AffinityRescore {

/** What the command line of affinity-rescore asks for. */
struct RescoreOptions {
    std::string model;
    std::string receptor;
    std::vector<std::string> poseFiles;
    /** "boltzmann", "max" (the strongest binding pose: smooth minimum of ΔG) or "mean". */
    std::string combination = "boltzmann";
    /** T in K, for the Boltzmann weights, the readouts and models that return kT. */
    double temperature = 298.15;
    /** t of the smooth maximum; larger is closer to the best single pose. */
    double maxScale = 1000.0;
    /**
     * Receptor atoms within this distance (nm) of any ligand atom of any pose form the pocket:
     * the one given, else the model's pocket_cutoff_nm, else 1.0 (resolvePocketCutoff).
     */
    double pocketCutoff = 1.0;
    bool pocketCutoffGiven = false;
    /** "heavy-atoms", "as-read", or "" for the model's own (AtomConvention.h). */
    std::string atomConvention;
    /** "cpu", "cuda" or "cuda:i". */
    std::string device = "cpu";
    /** "auto" (float64 on the CPU, the model's own dtype on CUDA), "double" or "single". */
    std::string precision = "auto";
    /** LibTorch's intra-op threads on the CPU. */
    int threads = 1;
    /** Poses per model call; 0 chooses from a memory budget. */
    int batchSize = 0;
    /** "none", "pki" or "pic50". */
    std::string readout = "none";
    double substrateConcentration = 0.0;
    double michaelisConstant = 1.0;
    std::string csvOutput;
    std::string sdfOutput;
    std::string jsonOutput;
    /** How many ligands the table printed at the end shows (best first); 0 for none. */
    int top = 10;
    /** Whether progress goes to stderr. */
    bool quiet = false;
};

/** The pocket cutoff of a run: --pocket-cutoff when given, else the model's declared one, else the default. */
inline double resolvePocketCutoff(const RescoreOptions& options, double declared) {
    return options.pocketCutoffGiven || !(declared > 0.0) ? options.pocketCutoff : declared;
}

/** Exit statuses, documented in --help. */
enum ExitStatus { Success = 0, Failure = 1, UsageError = 2, SomethingSkipped = 3 };

/**
 * Parse the command line. Prints --help or a usage error itself and sets exitStatus to the
 * status to exit with; returns true when the options are complete and the run should go on.
 */
bool parseRescoreOptions(int argc, const char* const argv[], RescoreOptions& options, int& exitStatus);

} // namespace AffinityRescore

#endif
