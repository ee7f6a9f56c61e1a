// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_TWO_PASS_GRADIENT_H_
#define OPENMM_AFFINITY_TWO_PASS_GRADIENT_H_

#include "GradientExport.h"
#include "internal/BatchPassCache.h"

namespace AffinityPlugin {

/**
 * The two-pass gradient, whole: pass 1 evaluates every pose without an autograd graph, in
 * batches of one shape; the loss then gives each pose its coefficient g_n = ∂L/∂G_n; pass 2
 * evaluates each batch again with autograd and adds Σ_b g_b dG_b/dθ to running sums. Memory is
 * |θ| plus one batch's graph, whatever the number of poses or ligands.
 *
 * Pass 1 alone is also how AffinityScorer scores poses in batches.
 */
namespace TwoPassGradient {

/**
 * Pass 1: the energy of every pose of positions [P,N,3] (on the model's device), in kJ/mol,
 * in batches of `batch` poses without autograd graphs, through the cache's energy pass.
 */
std::vector<double> energies(BatchPassCache& passes, BoundModel& model, const torch::Tensor& positions, int batch);

/**
 * Pass 2: Σ_n w_n dE_n/dθ for every trainable parameter θ, and u_n dE_n/dx_n per pose when
 * positionWeights is defined, in batches of `batch` poses through the cache's gradient pass;
 * one batch's autograd graph is alive at a time.
 */
WeightedGradients weightedGradients(BatchPassCache& passes, const BoundModel& model, const torch::Tensor& positions,
                                    const torch::Tensor& weights, const torch::Tensor& positionWeights, int batch);

/**
 * The strategy for one ligand: ΔG, G_n, g_n (and c_n dG_n/dx_n when asked) into `result`. A
 * ligand whose poses fit in one batch is evaluated once: its batch keeps the autograd graph of
 * its forward pass (through the one-pass strategy's pass) until the energies give g_n, then
 * one backward pass with the weights g. More poses take pass 1 and pass 2.
 *
 * @return dL/dθ, float64, every trainable parameter's entries flattened one after another in
 *         model order (as flatZeros() lays them out), not yet in .grad
 */
torch::Tensor ofLigand(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                       const AffinityLoss& loss, const CombinedGradientOptions& options,
                       CombinedGradientResult& result);

/** Pass 1 over a set of ligands: each ligand's G_l,n and its combined ΔG_l. */
LigandSetScores scoresOfSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                            const CombinedGradientOptions& options);

/**
 * Pass 2 over a set of ligands, for given g_l,n: Σ_l Σ_n g_l,n dG_l,n/dθ, one ligand's batches
 * at a time, flattened as ofLigand() returns it.
 */
torch::Tensor gradientOfSet(const std::vector<LigandTerm>& ligands,
                            const std::vector<std::vector<double>>& coefficients,
                            const CombinedGradientOptions& options);

/**
 * The strategy for a set of ligands: pass 1, the loss on the scores, pass 2; the scores, the loss
 * and its derivatives into `result`.
 *
 * @return dL/dθ, float64, every trainable parameter's entries flattened one after another in
 *         model order (as flatZeros() lays them out), not yet in .grad
 */
torch::Tensor ofSet(const std::vector<LigandTerm>& ligands, const Combination& combination, const LigandSetLoss& loss,
                    const CombinedGradientOptions& options, SetGradientResult& result);

} // namespace TwoPassGradient

} // namespace AffinityPlugin

#endif
