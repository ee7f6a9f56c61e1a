// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_TRAINING_LOG_H_
#define AFFINITY_TRAIN_TRAINING_LOG_H_

#include <fstream>
#include <string>
#include <vector>

namespace AffinityTrain {

/** The figures of one epoch. Losses are in the loss's unit; RMSEs in the target's unit. */
struct EpochRecord {
    int epoch = 0;
    /** The mean loss of the training ligands, each taken when its gradient was (before its step). */
    double trainingLoss = 0.0, trainingRmse = 0.0;
    /** The mean loss and RMSE of the validation ligands after the epoch (NaN without any). */
    double validationLoss = 0.0, validationRmse = 0.0;
    double learningRate = 0.0;
    /** Wall-clock seconds of the epoch. */
    double seconds = 0.0;
};

/**
 * The per-epoch CSV log: columns epoch, train_loss, train_rmse, validation_loss,
 * validation_rmse, learning_rate, seconds. A resumed run appends to the log it finds.
 */
class TrainingLog {
public:
    /** An empty path gives a log that writes nothing. */
    TrainingLog(const std::string& path, bool append);
    /**
     * Write one row and flush it, so that a run killed mid-training keeps its log.
     * @throws OpenMM::OpenMMException when the row cannot be written (a full disk)
     */
    void write(const EpochRecord& record);

private:
    std::string path;
    std::ofstream out;
};

struct LigandPrediction;

/**
 * Write every ligand's target and prediction as CSV: columns ligand, split (train or
 * validation), target, predicted (both in the target's unit), delta_g_kj_per_mol, loss.
 */
void writePredictions(std::ostream& out, const std::vector<LigandPrediction>& predictions);

} // namespace AffinityTrain

#endif
