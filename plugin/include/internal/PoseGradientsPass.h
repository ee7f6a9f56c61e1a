// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_POSE_GRADIENTS_PASS_H_
#define OPENMM_AFFINITY_POSE_GRADIENTS_PASS_H_

#include "internal/BoundModel.h"
#include "internal/CapturedCall.h"
#include "internal/SideBySide.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/**
 * Most poses a PoseGradientsPass evaluates side by side. A captured graph holds the working memory of every branch
 * (about 155 MiB each for a 455,809-parameter SchNet at 640 and at 2,700 atoms), while the gain levels off once the
 * branches fill the GPU's 8 hardware work queues (CUDA_DEVICE_MAX_CONNECTIONS' default): on an H200, store-all took
 * 2.74 ms per pose one at a time, 0.84 with 8 side by side, 0.82 with 16 and 0.81 with 32.
 */
constexpr int MaxPosesSideBySide = 8;

/**
 * Each pose's own gradients, for batches of one shape [B,N,3]: dE_b/dθ of every trainable parameter (float64,
 * flattened in model order, one row per pose), E_b and, when asked, dE_b/dx_b. What the store-all strategy keeps.
 *
 * A batch evaluated as one model call would give only Σ_b dE_b/dθ from its backward pass, so every pose is a model
 * call and a backward pass of its own. On a GPU the B poses run side by side (SideBySide), and after the warm-up
 * calls the batch is captured in one CUDA graph whose B branches the GPU runs at once: one pose alone is bound by
 * the latency of its few hundred small kernels, not by the GPU's arithmetic. Like the other batch passes, it keeps
 * its own copy of the bound model.
 */
class PoseGradientsPass {
public:
    /**
     * @param model              what each call differentiates
     * @param batch              poses per call, 1 to MaxPosesSideBySide
     * @param positionGradients  whether to compute dE_b/dx_b as well
     * @param capture            whether to capture a CUDA graph (on a CUDA device)
     * @param pool               the memory of the graph (read the outputs before another graph of the pool runs)
     */
    PoseGradientsPass(const BoundModel& model, int batch, bool positionGradients, bool capture,
                      GraphMemoryPool pool = {});
    int batchSize() const {
        return (int)input.size(0);
    }
    bool hasPositionGradients() const {
        return positionGradient.defined();
    }
    const CapturedCall& capturedCall() const {
        return call;
    }
    /** Evaluate positions [B,N,3] on the model's device and dtype; the outputs are overwritten by the next call. */
    void run(const torch::Tensor& positions);
    /** dE_b/dθ, [B, number of trainable parameter entries], float64. */
    const torch::Tensor& flatParameterGradients() const {
        return gradients;
    }
    /** E_b, [B]. */
    const torch::Tensor& energies() const {
        return energy;
    }
    /** dE_b/dx_b, [B,N,3]; undefined without position gradients. */
    const torch::Tensor& positionGradients() const {
        return positionGradient;
    }

private:
    void evaluatePose(int pose);
    BoundModel model;
    CapturedCall call;
    SideBySide lanes;
    std::vector<torch::Tensor> parameters;
    torch::Tensor input, gradients, energy, positionGradient;
};

} // namespace AffinityPlugin

#endif
