// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_PARAMETER_OPTIMIZER_H_
#define AFFINITY_TRAIN_PARAMETER_OPTIMIZER_H_

#include <memory>
#include <string>
#include <torch/script.h>
#include <utility>
#include <vector>

namespace AffinityTrain {

/** The settings of a ParameterOptimizer. */
struct OptimizerSettings {
    /** "adam" (LibTorch's Adam) or "sgd" (plain gradient descent, θ ← θ − lr·g). */
    std::string method = "adam";
    double learningRate = 1e-3;
    /** L2 weight decay (added to the gradient, as torch.optim does). */
    double weightDecay = 0.0;
};

/** Where a training run stands, as a checkpoint records it. */
struct TrainingProgress {
    /** Epochs completed. */
    int epoch = 0;
    /** The seed of the run's split and shuffles; a resumed run must use the same. */
    int64_t seed = 0;
    /**
     * The options that decide the run's result, one "--name value" line each (trainingSettings);
     * empty in a checkpoint of the first format, which did not record them.
     */
    std::string settings;
};

/**
 * LibTorch's optimisers over a model's trainable parameters, and checkpoints of both.
 *
 * This is the only translation unit of affinity-train that includes the torch/optim and
 * serialization headers, which are far heavier than <torch/script.h>; everything else sees
 * this interface.
 */
class ParameterOptimizer {
public:
    /**
     * @param parameters  the trainable parameters by name (AffinityModel::trainableParameters)
     * @param settings    the method and its settings
     */
    ParameterOptimizer(std::vector<std::pair<std::string, torch::Tensor>> parameters,
                       const OptimizerSettings& settings);
    ~ParameterOptimizer();
    ParameterOptimizer(const ParameterOptimizer&) = delete;
    ParameterOptimizer& operator=(const ParameterOptimizer&) = delete;
    /** Set every parameter's gradient to zero (defining it where it is not). */
    void zeroGradients();
    /** Multiply every parameter's gradient by a factor (to average over the ligands of a step). */
    void scaleGradients(double factor);
    /** Update the parameters from their gradients. */
    void step();
    /**
     * Write the parameters, the optimiser's state and the progress to a file, with its SHA-256
     * (CheckpointFile.h: through a temporary file, fsync and a rename, so that an interrupted or
     * failed write leaves the old checkpoint).
     *
     * @throws OpenMMException naming the file when it cannot be written (a full disk)
     */
    void saveCheckpoint(const std::string& file, const TrainingProgress& progress) const;
    /**
     * Restore the parameters and the optimiser's state from a checkpoint of the same model.
     *
     * @throws OpenMMException naming the file if it is damaged (its checksum, its archive or
     *         any of its records), is not a checkpoint of a model with these parameters (names
     *         and shapes), or was written with another method
     */
    TrainingProgress loadCheckpoint(const std::string& file);

private:
    class Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace AffinityTrain

#endif
