// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_PASSES_H_
#define OPENMM_AFFINITY_BATCH_PASSES_H_

#include "internal/BoundModel.h"
#include "internal/CapturedCall.h"
#include "internal/FlatParameters.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/**
 * The model's energies for batches of one shape [B,N,3], without autograd graphs. Each batch is
 * copied into an input tensor of this pass, so that on a GPU the call can be captured in a CUDA
 * graph after its warm-up calls and replayed for every later batch of the shape. The pass keeps
 * its own copy of the bound model: a graph replays the topology and temperature it captured.
 */
class EnergyBatchPass {
public:
    /**
     * @param model    what each call evaluates
     * @param batch    poses per call
     * @param capture  whether to capture a CUDA graph (on a CUDA device)
     * @param pool     the memory of the graph (its output is copied out before run() returns)
     */
    EnergyBatchPass(const BoundModel& model, int batch, bool capture, GraphMemoryPool pool = {});
    int batchSize() const {
        return (int)input.size(0);
    }
    const CapturedCall& capturedCall() const {
        return call;
    }
    /**
     * The energies [B] of positions [B,N,3]; the tensor is overwritten by the next call (and may
     * be by another graph of the pool).
     */
    const torch::Tensor& run(const torch::Tensor& positions);

private:
    BoundModel model;
    CapturedCall call;
    torch::Tensor input, output;
};

/**
 * Weighted sums of the model's gradients over batches of one shape [B,N,3]: Σ_b w_b dE_b/dθ for
 * each trainable parameter θ, accumulated across calls, and E_b and u_b dE_b/dx_b for each pose. The
 * inputs are copied into tensors of this pass and the sums kept in it, so that on a GPU the
 * whole pass (forward, backward, accumulation) can be captured in a CUDA graph after its warm-up
 * calls and replayed for every later batch. Like EnergyBatchPass, it keeps its own copy of the
 * bound model.
 */
class GradientBatchPass {
public:
    /**
     * @param model              what each call differentiates
     * @param batch              poses per call
     * @param positionGradients  whether to compute u_b dE_b/dx_b as well
     * @param capture            whether to capture a CUDA graph (on a CUDA device)
     * @param pool               the memory of the graph (read positionGradients() before
     *                           another graph of the pool runs)
     */
    GradientBatchPass(const BoundModel& model, int batch, bool positionGradients, bool capture,
                      GraphMemoryPool pool = {});
    int batchSize() const {
        return (int)input.size(0);
    }
    bool hasPositionGradients() const {
        return positionWeights.defined();
    }
    const CapturedCall& capturedCall() const {
        return call;
    }
    /** Set the parameter sums to zero. */
    void clear();
    /**
     * Add the batch's Σ_b w_b dE_b/dθ to the sums.
     *
     * @param positions        [B,N,3] on the model's device and dtype
     * @param weights          w, [B]
     * @param positionWeights  u, [B]; ignored without position gradients
     */
    void run(const torch::Tensor& positions, const torch::Tensor& weights, const torch::Tensor& positionWeights);
    /**
     * The sums since clear(), float64, of every trainable parameter (in the model's order),
     * flattened and concatenated in one tensor.
     */
    const torch::Tensor& flatParameterGradients() const {
        return sumBuffer;
    }
    /** The trainable parameters, in the model's order (viewsOf() splits the sums by them). */
    const std::vector<torch::Tensor>& trainableParameters() const {
        return parameters;
    }
    /** E_b, [B], of the last call; overwritten by the next. */
    const torch::Tensor& energies() const {
        return energy;
    }
    /** u_b dE_b/dx_b, [B,N,3], of the last call; overwritten by the next. */
    const torch::Tensor& positionGradients() const {
        return positionGradient;
    }

private:
    void evaluate();
    BoundModel model;
    CapturedCall call;
    std::vector<torch::Tensor> parameters, sums;
    torch::Tensor sumBuffer, input, weights, positionWeights, energy, positionGradient;
};

} // namespace AffinityPlugin

#endif
