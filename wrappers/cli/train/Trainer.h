// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_TRAINER_H_
#define AFFINITY_TRAIN_TRAINER_H_

#include "AffinityLoss.h"
#include "AffinityModel.h"
#include "AffinityScorer.h"
#include "Combination.h"
#include "GradientExport.h"
#include "LigandSetLoss.h"
#include "LigandSplit.h"
#include "ParameterOptimizer.h"
#include "ProcessGroup.h"
#include "TrainOptions.h"
#include "TrainingLigand.h"
#include "TrainingLog.h"
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace AffinityTrain {

/** A ligand's target and the model's prediction, in the target's unit. */
struct LigandPrediction {
    std::string ligand;
    bool validation = false;
    double target = 0.0, predicted = 0.0;
    /** The combined ΔG in kJ/mol. */
    double deltaG = 0.0;
    /** The ligand's loss. */
    double loss = 0.0;
};

/**
 * Trains a model on pose groups: each optimizer step takes a set of a few ligands (from one
 * group with --group-by) and a loss over the set on their combined ΔG (--loss: mean squared
 * error, the same after removing the set's mean, pairwise ranking, Gaussian NLL, or a
 * TorchScript loss), whose gradient combinedGradient() adds one pose (or one batch of poses)
 * at a time; after each epoch the validation sets are scored, a row is logged and a
 * checkpoint written.
 *
 * Run as several processes (a ProcessGroup of K ranks), training is data-parallel: each rank
 * scores its share of each step's ligands and adds their gradient; every rank evaluates the
 * set loss on all of the step's ΔG, the gradients are summed over the ranks and every rank
 * takes the same step. Rank 0 alone writes the log, the checkpoints and reports.
 */
class Trainer {
public:
    /**
     * @param model    the model; its parameters are trained in place
     * @param ligands  the pose groups and targets
     * @param options  the run's options
     * @param group    the processes that share the run (every rank has every ligand)
     * @throws OpenMMException for a model without trainable parameters, per-pose terms
     *         without docking scores, a checkpoint that does not fit, or a strategy other than
     *         two-pass on several processes
     */
    Trainer(AffinityPlugin::AffinityModel model, std::vector<TrainingLigand> ligands, const TrainOptions& options,
            const AffinityCli::ProcessGroup& group);
    /**
     * Train the remaining epochs, one line per epoch on report (unless quiet; rank 0 only),
     * with a progress bar on stderr when progressShown (ProgressReport::shownOnStderr).
     */
    void run(std::ostream& report, bool progressShown);
    /** Score every ligand with the current parameters. */
    std::vector<LigandPrediction> predict();
    /** Write the model (on the CPU) as TorchScript into out (an OutputFile's stream, which reports write errors). */
    void saveModel(std::ostream& out);
    const LigandSplit& getSplit() const {
        return split;
    }

private:
    double lossTarget(const TrainingLigand& ligand) const;
    double readoutOf(double deltaG) const;
    AffinityPlugin::AffinityLoss lossOf(const TrainingLigand& ligand) const;
    LigandPrediction evaluate(int index);
    /** The ligand as a term of a set loss. */
    AffinityPlugin::LigandTerm termOf(int index);
    /**
     * The loss of a set of ligands (the set loss, plus --mse-weight times their MSE); with
     * gradients, added to the parameters' .grad. The ΔG of each ligand goes to deltaG.
     */
    double setLossOf(const std::vector<int>& set, bool gradients,
                     const AffinityPlugin::CombinedGradientOptions& options, std::vector<double>& deltaG);
    /** The validation sets: one per --group-by group, or all validation ligands as one. */
    std::vector<std::vector<int>> validationSets() const;

    AffinityPlugin::AffinityModel model;
    std::vector<TrainingLigand> ligands;
    TrainOptions options;
    const AffinityCli::ProcessGroup& group;
    std::vector<AffinityPlugin::AffinityScorer> scorers;
    std::unique_ptr<AffinityPlugin::Combination> combination;
    AffinityPlugin::Readout readout;
    std::unique_ptr<AffinityPlugin::LigandSetLoss> setLoss;
    AffinityPlugin::MeanSquaredError squaredError;
    std::unique_ptr<ParameterOptimizer> optimizer;
    LigandSplit split;
    /** Each ligand's --group-by value, or empty. */
    std::vector<std::string> stepGroups;
    int firstEpoch = 1;
};

} // namespace AffinityTrain

#endif
