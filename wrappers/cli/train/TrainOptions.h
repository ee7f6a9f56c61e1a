#ifndef AFFINITY_TRAIN_TRAIN_OPTIONS_H_
#define AFFINITY_TRAIN_TRAIN_OPTIONS_H_

#include "ParameterOptimizer.h"
#include <string>

namespace AffinityTrain {

/** What affinity-train was asked to do (see --help). */
struct TrainOptions {
    std::string model, poses, receptor, targets, output;
    /** A manifest (ligand, receptor, poses, target, ...) instead of poses/receptor/targets. */
    std::string manifest;
    /** Only the manifest rows whose split column equals this ("" for all). */
    std::string subset;
    /** A folder that caches the built complexes between runs ("" for none). */
    std::string cache;
    /** "heavy-atoms", "as-read", or "" for the model's own (AtomConvention.h). */
    std::string atomConvention;
    /** A column of the table whose groups each optimizer step draws its ligands from ("" for none). */
    std::string groupBy;
    /** The loss over each step's set of ligands: "mse", "centred-mse", "ranking" or "gnll". */
    std::string loss = "mse";
    /** A TorchScript loss module (LigandSetLoss.h, TorchScriptSetLoss) instead of a built-in loss. */
    std::string lossModule;
    /** The weight of an added mean squared error (it keeps absolute ΔG in scale under relative losses). */
    double mseWeight = 0.0;
    /** The column of each ligand's uncertainty σ (target unit), for --loss gnll. */
    std::string sigmaColumn;
    /** A column whose groups are held out whole for validation ("" to split by ligand). */
    std::string validationBy;
    /** "dg" (ΔG in kcal/mol), "pic50" or "pki". */
    std::string targetKind = "dg";
    double substrateConcentration = 0.0, michaelisConstant = 1.0;
    std::string combination = "boltzmann";
    double maxScale = 1000.0;
    double temperature = 298.15;
    std::string strategy = "two-pass";
    int batchSize = 0;
    double memoryBudgetMiB = 1024.0;
    /** The weight λ of per-pose terms against the docking scores (0: none). */
    double poseWeight = 0.0;
    int epochs = 10;
    int ligandsPerStep = 1;
    OptimizerSettings optimizer;
    double validationFraction = 0.2;
    int64_t seed = 0;
    /** The pocket radius in nm (given in Å on the command line, as docking tools do). */
    double pocketCutoff = 0.8;
    std::string checkpoint, resume, log, predictions;
    std::string device = "cpu";
    std::string dtype = "float32";
    bool quiet = false;
};

/**
 * Parse the command line. Prints --help and exits 0 when asked; throws
 * OpenMMException naming the option for anything invalid.
 */
TrainOptions parseTrainOptions(int argc, char** argv);

} // namespace AffinityTrain

#endif
