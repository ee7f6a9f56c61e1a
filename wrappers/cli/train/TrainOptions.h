// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_TRAIN_OPTIONS_H_
#define AFFINITY_TRAIN_TRAIN_OPTIONS_H_

#include "ParameterOptimizer.h"
#include "PoseInputs.h"
#include "ScoringOptions.h"
#include <string>
#include <vector>

namespace AffinityTrain {

/**
 * What affinity-train was asked to do (see --help): the options both tools share
 * (ScoringOptions; its readout is how the combined ΔG is compared with the targets) and the
 * training run's own.
 */
struct TrainOptions : AffinityCli::ScoringOptions {
    TrainOptions() {
        // Training runs in float32 unless --precision asks otherwise (affinity-rescore's
        // default is auto: float64 on the CPU).
        precision = "single";
        precisionKind = AffinityCli::Precision::Single;
    }
    std::string model, poses, receptor, targets, output;
    /**
     * The files a quoted --poses pattern matched, sorted (PoseInputs.h),
     * each one ligand named after its file; empty when --poses is a directory.
     */
    std::vector<std::string> poseFiles;
    /** --ligand-tag: the tag that names the ligands of a --manifest's pose files ("" for their titles). */
    AffinityCli::PoseInputOptions poseInput;
    /** The column of the targets table or manifest that holds the targets. */
    std::string targetColumn = "target";
    /** A manifest (ligand, receptor, poses, target, ...) instead of poses/receptor/targets. */
    std::string manifest;
    /** Only the manifest rows whose split column equals this ("" for all). */
    std::string subset;
    /** A folder that caches the built complexes between runs ("" for none). */
    std::string cache;
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
    std::string strategy = "two-pass";
    /** The weight λ of per-pose terms against the docking scores (0: none). */
    double poseWeight = 0.0;
    int epochs = 10;
    int ligandsPerStep = 1;
    OptimizerSettings optimizer;
    double validationFraction = 0.2;
    int64_t seed = 0;
    std::string checkpoint, resume, log, predictions;
    /** Resume from a checkpoint written with other options (trainingSettings) than this run's. */
    bool resumeWithNewOptions = false;
    bool quiet = false;
};

/**
 * The options that decide what a run computes, one "--name value" line each, in a fixed
 * order: a checkpoint records them, and a resumed run must have the same. Left out are
 * --epochs (it counts all epochs, so a resumed run may ask for more), --seed (checked on its
 * own, as the split depends on it) and what only says where files go or how fast it runs
 * (--output, --log, --predictions, --checkpoint, --resume, --cache, --quiet, --device,
 * --batch-size, --memory-budget).
 */
std::string trainingSettings(const TrainOptions& options);

/**
 * The options that differ between two trainingSettings texts, one "--name: A in the
 * checkpoint, B in this run" phrase each (an option missing from one side reads "(none)").
 */
std::vector<std::string> settingDifferences(const std::string& checkpoint, const std::string& run);

/**
 * Parse the command line. Prints --help, --version or a usage error itself and sets
 * exitStatus to the status to exit with (AffinityCli::ExitStatus); returns true when the
 * options are complete and the run should go on.
 */
bool parseTrainOptions(int argc, const char* const argv[], TrainOptions& options, int& exitStatus);

} // namespace AffinityTrain

#endif
