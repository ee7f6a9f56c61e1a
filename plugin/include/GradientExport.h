// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_GRADIENT_EXPORT_H_
#define OPENMM_AFFINITY_GRADIENT_EXPORT_H_

#include "AffinityExport.h"
#include "AffinityLoss.h"
#include "AffinityScorer.h"
#include "Combination.h"
#include "LigandSetLoss.h"
#include "PoseEnsemble.h"
#include <functional>
#include <string>
#include <torch/script.h>
#include <utility>
#include <vector>

namespace AffinityPlugin {

/**
 * How combinedGradient() gets dL/dθ = Σ_n g_n dG_n/dθ (docs/combination-and-gradients.md
 * derives the three):
 *  - StoreAll: one forward+backward per pose, every dG_n/dθ kept, combined at the end;
 *    memory N·|θ|. The plain method, kept as the reference. On a GPU a batch of poses (at
 *    most 8) runs side by side, each pose its own model call, from one CUDA graph.
 *  - TwoPass: every pose forward without a graph (batched), then g_n, then forward+backward
 *    per batch with grad_output g; memory |θ| plus one batch's graph. Poses that fit in one
 *    batch are evaluated once: forward with the graph kept, g_n, one backward.
 *  - OnePass: every pose forward once, with autograd, in batches; each batch's graph is
 *    differentiated into running sums A = Σ w_n dG_n/dθ and B = Σ w_n (G_n − G_1) dG_n/dθ
 *    (one backward pass each; B only for a combination with a shift term), rescaled when the
 *    largest weight exponent grows (online softmax); memory 2·|θ| (3·|θ| with per-pose loss
 *    terms) plus one batch's graph, nothing evaluated twice.
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
 * Evaluate each pose with autograd, each pose a model call and a backward pass of its own,
 * and hand its energy and gradients to a sink. On a GPU a batch of poses runs side by side
 * (see AffinityScorer::poseGradients); no pose's autograd graph is alive when the sink runs,
 * and memory grows with the batch, not with the number of poses. What the sink gets is its
 * own: the gradients are not overwritten by later poses.
 *
 * @param scorer             the model, bound to the poses' topology and a device
 * @param poses              the poses
 * @param sink               called once per pose, in order
 * @param positionGradients  whether to compute dG_n/dx as well
 * @param batchSize          poses side by side, at most 8 (0: chosen from the default memory budget;
 *                           one pose on the CPU)
 */
OPENMM_EXPORT_AFFINITY void forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                                const std::function<void(const PoseGradient&)>& sink,
                                                bool positionGradients = false, int batchSize = 0);

/** Options of combinedGradient(). */
struct OPENMM_EXPORT_AFFINITY CombinedGradientOptions {
    GradientStrategy strategy = GradientStrategy::TwoPass;
    /**
     * Poses per model call for TwoPass and OnePass, and poses side by side for StoreAll (at most
     * 8 there); 0: chosen from memoryBudgetMiB.
     */
    int batchSize = 0;
    double memoryBudgetMiB = DefaultMemoryBudgetMiB;
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
                                                               const Combination& combination, const AffinityLoss& loss,
                                                               const CombinedGradientOptions& options = {});

/**
 * One ligand of a set: its poses, the scorer that evaluates them and its targets. Every
 * ligand of a set may have its own topology (atom count) and pose count, but all scorers must
 * share one AffinityModel (copies of one AffinityModel share its parameters), on one device;
 * one scorer may serve several ligands of the same topology.
 */
struct OPENMM_EXPORT_AFFINITY LigandTerm {
    /** The model bound to this ligand's complex topology. Not owned. */
    AffinityScorer* scorer = nullptr;
    /** The ligand's poses, at least one. Not owned. */
    const PoseEnsemble* poses = nullptr;
    /** y_l, in the unit of the loss's readout (kJ/mol without one). */
    double target = 0.0;
    /** σ_l, the uncertainty of y_l in the same unit (GaussianNllLoss; > 0 there). */
    double sigma = 1.0;
    /** y_l,n in the unit of the loss's pose readout: empty, or one per pose. */
    std::vector<double> poseTargets;
};

/** Each ligand's per-pose energies and combined ΔG (pass 1 of two-pass). */
struct OPENMM_EXPORT_AFFINITY LigandSetScores {
    /** Per ligand: ΔG_l in kJ/mol, the pose weights and c_l,n = ∂ΔG_l/∂G_l,n. */
    std::vector<CombinationResult> combinations;
    /** G_l,n in kJ/mol, one vector per ligand. */
    std::vector<std::vector<double>> energies;
    /** ΔG_l in kJ/mol, one per ligand. */
    std::vector<double> deltaG() const;
};

/** What combinedGradient() and evaluateLigandSet() found for a set of ligands. */
struct OPENMM_EXPORT_AFFINITY SetGradientResult {
    /** The loss L. */
    double loss = 0.0;
    /** ΔG_l, the pose weights, c_l,n and G_l,n. */
    LigandSetScores scores;
    /** ∂L/∂ΔG_l, one per ligand. */
    std::vector<double> lossByDeltaG;
    /** ∂L/∂G_l,n taken directly (not through ΔG_l), one vector per ligand. */
    std::vector<std::vector<double>> lossByPoseEnergy;
    /** g_l,n = ∂L/∂ΔG_l · c_l,n + ∂L/∂G_l,n, so that dL/dθ = Σ_l Σ_n g_l,n dG_l,n/dθ. */
    std::vector<std::vector<double>> lossCoefficients;
};

/**
 * Evaluate every pose of every ligand without autograd graphs (in batches of the size that
 * combinedGradient's two-pass strategy uses) and combine each ligand's energies into ΔG_l at
 * its scorer's temperature.
 *
 * @param ligands      the set; their targets are not used
 * @param combination  how each ligand's per-pose energies combine into ΔG_l
 * @param options      batchSize and memoryBudgetMiB are used
 * @throws OpenMMException for an empty set or ligand, poses that do not match their scorer,
 *         scorers that do not share one model, or a non-finite model output
 */
OPENMM_EXPORT_AFFINITY LigandSetScores scoreLigandSet(const std::vector<LigandTerm>& ligands,
                                                      const Combination& combination,
                                                      const CombinedGradientOptions& options = {});

/**
 * Score a set of ligands and evaluate a loss on it, without any gradient of the model: the
 * validation step of a training loop. Parameters' .grad are not touched.
 *
 * @return the loss, the scores and the loss's derivatives (as combinedGradient() would use them)
 */
OPENMM_EXPORT_AFFINITY SetGradientResult evaluateLigandSet(const std::vector<LigandTerm>& ligands,
                                                           const Combination& combination, const LigandSetLoss& loss,
                                                           const CombinedGradientOptions& options = {});

/**
 * Compute the gradient of a loss over a set of ligands, L(ΔG_1 … ΔG_L, {G_l,n}), and add it to
 * the .grad of the shared model's trainable parameters, as backward() would:
 * dL/dθ = Σ_l Σ_n g_l,n dG_l,n/dθ with g_l,n = ∂L/∂ΔG_l · c_l,n + ∂L/∂G_l,n. The loss and its
 * derivatives are evaluated once, on the L + ΣN numbers ΔG_l and G_l,n; autograd never runs
 * through the model for more than one batch (or pose) at a time. By strategy:
 *  - TwoPass: every ligand's poses forward without a graph, then the loss, then each ligand's
 *    batches forward and backward with grad_output g_l,n; memory |θ| plus one batch's graph,
 *    whatever L and N (each scorer keeps its own batch buffers between calls, as for one
 *    ligand).
 *  - OnePass: each ligand's poses once, forward and backward, with the running sums A_l, B_l of
 *    the one-ligand strategy kept per ligand until the loss is known at the end; memory
 *    2L·|θ| (plus |θ| for per-pose terms). The loss's own derivatives by G_l,n must be those of
 *    its per-pose terms (setPoseWeight()): a formula that depends on the per-pose values
 *    needs TwoPass or StoreAll.
 *  - StoreAll: every pose's dG_l,n/dθ kept; memory ΣN·|θ|. The reference.
 *
 * With one ligand and MeanSquaredError, the result and the gradients are those of the
 * one-ligand combinedGradient() with the equivalent AffinityLoss, bit for bit.
 *
 * Nothing is written to the parameters unless every pose was evaluated and the loss and the
 * gradient are finite: on an error the parameters' gradients are as they were.
 *
 * @param ligands      the set, at least one ligand
 * @param combination  how each ligand's per-pose energies combine into ΔG_l (at its scorer's temperature)
 * @param loss         the loss over the set
 * @param options      the strategy and its settings (positionGradients is not supported for a set)
 * @throws OpenMMException for an empty set or ligand, poses that do not match their scorer,
 *         scorers that do not share one model, non-finite model outputs, targets, loss or
 *         derivatives, or derivatives of the wrong shape
 */
OPENMM_EXPORT_AFFINITY SetGradientResult combinedGradient(const std::vector<LigandTerm>& ligands,
                                                          const Combination& combination, const LigandSetLoss& loss,
                                                          const CombinedGradientOptions& options = {});

/**
 * Pass 2 of two-pass for a set, with the loss's derivatives given: add
 * dL/dθ = Σ_l Σ_n g_l,n dG_l,n/dθ, g_l,n = byDeltaG_l · c_l,n + byPoseEnergy_l,n, to the
 * parameters' .grad, one batch's graph at a time. This is what a loss evaluated elsewhere (for
 * example by PyTorch, with scoreLigandSet() as its forward) uses as its backward.
 *
 * @param ligands       the set that `scores` was computed for (same poses, same parameters)
 * @param scores        what scoreLigandSet() returned
 * @param byDeltaG      ∂L/∂ΔG_l, one per ligand
 * @param byPoseEnergy  ∂L/∂G_l,n, one vector per ligand; or empty for none
 * @param options       batchSize and memoryBudgetMiB are used
 * @return g_l,n
 * @throws OpenMMException for derivatives of the wrong sizes or not finite, or a non-finite
 *         gradient; nothing is written then
 */
OPENMM_EXPORT_AFFINITY std::vector<std::vector<double>>
addLigandSetGradient(const std::vector<LigandTerm>& ligands, const LigandSetScores& scores,
                     const std::vector<double>& byDeltaG, const std::vector<std::vector<double>>& byPoseEnergy,
                     const CombinedGradientOptions& options = {});

} // namespace AffinityPlugin

#endif
