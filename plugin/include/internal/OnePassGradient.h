// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_ONE_PASS_GRADIENT_H_
#define OPENMM_AFFINITY_ONE_PASS_GRADIENT_H_

#include "GradientExport.h"

namespace AffinityPlugin {

/**
 * The one-pass gradient, whole: every pose is evaluated once, with autograd, in batches of one
 * shape; each batch's graph is differentiated into running sums and freed before the next.
 *
 * With w_n = exp(κ G_n − M) for the largest exponent M seen so far (an online softmax: the sums
 * are rescaled whenever M grows) the sums are A = Σ w_n dG_n/dθ, B = Σ w_n (G_n − G_1) dG_n/dθ
 * (only for a combination with a shift term) and P = Σ ℓ_n'(G_n) dG_n/dθ (only with per-pose
 * loss terms, whose derivatives are known pose by pose). Once the last pose is in,
 * dL/dθ = L'(ΔG) (a A + b B)/Z + P with Z = Σ w_n and (a, b) from the combination. Each sum is
 * one backward pass through the batch's graph, with the sum's per-pose coefficients as
 * grad_output. Memory: |θ| per sum (in float64) plus one batch's graph, whatever the number of
 * poses.
 */
namespace OnePassGradient {

/**
 * The strategy for one ligand: ΔG, G_n, g_n (and c_n dG_n/dx_n when asked) into `result`.
 *
 * @return dL/dθ, float64, every trainable parameter's entries flattened one after another in
 *         model order (as flatZeros() lays them out), not yet in .grad
 */
torch::Tensor ofLigand(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                       const AffinityLoss& loss, const CombinedGradientOptions& options,
                       CombinedGradientResult& result);

/**
 * The strategy for a set of ligands: the sums of each ligand, kept until the loss over the set
 * is known at the end; the scores, the loss and its derivatives into `result`.
 *
 * @return dL/dθ, float64, every trainable parameter's entries flattened one after another in
 *         model order (as flatZeros() lays them out), not yet in .grad
 * @throws OpenMMException if the loss depends on the pose energies beyond its per-pose terms
 */
torch::Tensor ofSet(const std::vector<LigandTerm>& ligands, const Combination& combination, const LigandSetLoss& loss,
                    const CombinedGradientOptions& options, SetGradientResult& result);

} // namespace OnePassGradient

} // namespace AffinityPlugin

#endif
