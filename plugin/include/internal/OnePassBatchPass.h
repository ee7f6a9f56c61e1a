// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_ONE_PASS_BATCH_PASS_H_
#define OPENMM_AFFINITY_ONE_PASS_BATCH_PASS_H_

#include "internal/BoundModel.h"
#include "internal/CapturedCall.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/** Which running sums a OnePassBatchPass keeps besides A. */
struct OnePassSums {
    /** B, for a combination with a shift term. */
    bool shifted = false;
    /** P, for per-pose loss terms. */
    bool poseTerms = false;
    /** dE_b/dx_b of each pose of the last batch. */
    bool positions = false;
    bool operator==(const OnePassSums& o) const {
        return shifted == o.shifted && poseTerms == o.poseTerms && positions == o.positions;
    }
};

/**
 * The batches of the one-pass gradient strategy, of one shape [B,N,3], in two halves: forward()
 * evaluates a batch with autograd and keeps its graph; the host reads the energies and weighs the
 * poses; backward() then rescales the running sums and adds to each Σ_b v_b dE_b/dθ, one backward
 * pass per sum, with the weights v given. The sums are kept in this pass (float64, every
 * trainable parameter flattened in model order) until clear().
 *
 * On a GPU each half is captured in a CUDA graph of its own after the warm-up calls (the two
 * share one memory pool), so that the host reads the energies between two replays. The captured
 * forward pass's autograd graph is kept and reused by every replay of the backward half, which
 * is why the backward half is only captured together with the forward half, and why its
 * backward passes keep the graph (an eager forward half's graph is freed by the last). Like the other batch passes, it
 * keeps its own copy of the bound model.
 */
class OnePassBatchPass {
public:
    /**
     * @param model    what each call differentiates
     * @param batch    poses per call
     * @param sums     which sums besides A
     * @param capture  whether to capture CUDA graphs (on a CUDA device)
     * @param pool     the memory of the graphs
     */
    OnePassBatchPass(const BoundModel& model, int batch, OnePassSums sums, bool capture, GraphMemoryPool pool = {});
    int batchSize() const {
        return (int)input.size(0);
    }
    const OnePassSums& sums() const {
        return kind;
    }
    const CapturedCall& forwardCall() const {
        return forwardHalf;
    }
    const CapturedCall& backwardCall() const {
        return backwardHalf;
    }
    /** Set the sums to zero. */
    void clear();
    /**
     * Evaluate positions [B,N,3] (on the model's device, in its dtype) with autograd.
     *
     * @return E_b in kJ/mol, read back to the host in float64
     */
    std::vector<double> forward(const torch::Tensor& positions);
    /**
     * After forward(): A ← r A + Σ_b a_b dE_b/dθ, B ← r B + Σ_b b_b dE_b/dθ, P ← P + Σ_b p_b dE_b/dθ
     * (B and P only where kept), and dE_b/dx_b when kept.
     *
     * @param rescale  r
     * @param a, b, p  one weight per pose of the batch (b and p ignored where not kept)
     */
    void backward(double rescale, const std::vector<double>& a, const std::vector<double>& b,
                  const std::vector<double>& p);
    const torch::Tensor& sumA() const {
        return flatA;
    }
    /** B; undefined unless kept. */
    const torch::Tensor& sumB() const {
        return flatB;
    }
    /** P; undefined unless kept. */
    const torch::Tensor& sumP() const {
        return flatP;
    }
    /** dE_b/dx_b, [B,N,3], of the last batch; undefined unless kept. */
    const torch::Tensor& positionGradients() const {
        return positionGradient;
    }

private:
    void evaluateForward();
    void evaluateBackward();
    void addWeighted(const torch::Tensor& weights, torch::Tensor& flat, bool retain);
    BoundModel model;
    OnePassSums kind;
    CapturedCall forwardHalf, backwardHalf;
    std::vector<torch::Tensor> parameters;
    torch::Tensor input, x, energy, energyOut, positionGradient;
    torch::Tensor weightsA, weightsB, weightsP, rescaleFactor, flatA, flatB, flatP;
};

} // namespace AffinityPlugin

#endif
