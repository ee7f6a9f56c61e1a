#ifndef OPENMM_AFFINITY_GRADIENT_EXPORT_H_
#define OPENMM_AFFINITY_GRADIENT_EXPORT_H_

#include "AffinityExport.h"
#include "AffinityLoss.h"
#include "AffinityScorer.h"
#include "Combination.h"
#include "PoseEnsemble.h"
#include <torch/script.h>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace AffinityPlugin {

/**
 * How combinedGradient() gets dL/dθ = Σ_n g_n dG_n/dθ (see DESIGN.md):
 *  - StoreAll: one forward+backward per pose, every dG_n/dθ kept, combined at the end;
 *    memory N·|θ|. The seed's method, kept as the reference.
 *  - TwoPass: every pose forward without a graph (batched), then g_n, then forward+backward
 *    per batch with grad_output g; memory |θ| plus one batch's graph.
 *  - OnePass: one forward+backward per pose with running sums A = Σ w_n dG_n/dθ and
 *    B = Σ w_n (G_n − G_1) dG_n/dθ, rescaled when the largest weight exponent grows (online
 *    softmax); memory 2·|θ| (3·|θ| with per-pose loss terms), nothing evaluated twice.
 */
enum class GradientStrategy { StoreAll, TwoPass, OnePass };

/** Parse "store-all", "two-pass" or "one-pass". */
OPENMM_EXPORT_AFFINITY GradientStrategy gradientStrategyFromName(const std::string& name);

/** What forEachPoseGradient() hands its sink for one pose. */
struct OPENMM_EXPORT_AFFINITY PoseGradient {
    /** The index of the pose. */
    int pose = 0;
    /** G_n in kJ/mol. */
    double energy = 0.0;
    /** dG_n/dθ for each trainable parameter, by qualified name, in kJ/mol per unit of θ. */
    std::vector<std::pair<std::string, torch::Tensor>> parameterGradients;
    /** dG_n/dx, [N,3] in kJ/mol/nm; undefined unless asked for. */
    torch::Tensor positionGradient;
};

/**
 * Evaluate each pose with autograd, one at a time, and hand its energy and gradients to a
 * sink. Only the current pose's graph is alive when the sink runs; it is freed before the
 * next pose, so memory does not grow with the number of poses.
 *
 * @param scorer             the model, bound to the poses' topology and a device
 * @param poses              the poses
 * @param sink               called once per pose, in order
 * @param positionGradients  whether to compute dG_n/dx as well
 */
OPENMM_EXPORT_AFFINITY void forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                                const std::function<void(const PoseGradient&)>& sink,
                                                bool positionGradients = false);

/** Options of combinedGradient(). */
struct OPENMM_EXPORT_AFFINITY CombinedGradientOptions {
    GradientStrategy strategy = GradientStrategy::TwoPass;
    /** Poses per model call for TwoPass (0: chosen from memoryBudgetMiB). */
    int batchSize = 0;
    double memoryBudgetMiB = 1024.0;
    /** Whether to return dΔG/dx_n = c_n dG_n/dx_n for each pose (pose refinement). */
    bool positionGradients = false;
};

/** What combinedGradient() found. */
struct OPENMM_EXPORT_AFFINITY CombinedGradientResult {
    /** The loss L. */
    double loss = 0.0;
    /** The combined ΔG in kJ/mol, its pose weights and c_n = ∂ΔG/∂G_n. */
    CombinationResult combination;
    /** G_n in kJ/mol. */
    std::vector<double> energies;
    /** g_n = ∂L/∂G_n = L'(ΔG) c_n + ℓ_n'(G_n). */
    std::vector<double> lossCoefficients;
    /** dΔG/dx_n = c_n dG_n/dx_n, [P,N,3] float64 on the CPU, in kJ/mol/nm; when asked. */
    torch::Tensor positionGradients;
};

/**
 * Compute the gradient of a loss on the combined ΔG of a pose ensemble and add it to the
 * .grad of the model's trainable parameters, as backward() would.
 *
 * Nothing is written to the parameters unless every pose was evaluated and the result is
 * finite: on an error the parameters' gradients are as they were.
 *
 * @param scorer       the model, bound to the poses' topology and a device
 * @param poses        the poses of one ligand
 * @param combination  how per-pose energies combine into ΔG (at the scorer's temperature)
 * @param loss         the loss on ΔG (and optional per-pose terms)
 * @param options      the strategy and its settings
 * @throws OpenMMException for an empty or non-finite ensemble, a non-finite model output or
 *         a non-finite target
 */
OPENMM_EXPORT_AFFINITY CombinedGradientResult combinedGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                                              const Combination& combination,
                                                              const AffinityLoss& loss,
                                                              const CombinedGradientOptions& options = {});

} // namespace AffinityPlugin

#endif
