// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_LOSS_COEFFICIENTS_H_
#define OPENMM_AFFINITY_LOSS_COEFFICIENTS_H_

#include "GradientExport.h"

namespace AffinityPlugin {

/**
 * What every strategy of combinedGradient() computes once a ligand's energies are known: ΔG and
 * c_n from the combination, then L and g_n = L'(ΔG) c_n + ℓ_n'(G_n) from the loss.
 */
CombinedGradientResult lossAtEnergies(const std::vector<double>& energies, const Combination& combination,
                                      const AffinityLoss& loss, double temperature);

/**
 * dΔG/dx_n = c_n dE_n/dx_n: each pose's position gradient, [P,N,3] on any device and in any dtype,
 * times the combination's c_n; float64 on the CPU, as CombinedGradientResult holds it.
 */
torch::Tensor combinedPositionGradients(const torch::Tensor& perPose, const std::vector<double>& coefficients);

/** "ligand l", how messages name ligand l of a set. */
std::string ligandName(size_t l);

/** The values a set loss is evaluated on: ΔG_l, G_l,n, the targets and β_l of each ligand. */
LigandSetValues ligandSetValues(const std::vector<LigandTerm>& ligands, const LigandSetScores& scores);

/** g_l,n = ∂L/∂ΔG_l · c_l,n + ∂L/∂G_l,n (byPoseEnergy may be empty: no direct terms). */
std::vector<std::vector<double>> ligandSetLossCoefficients(const LigandSetScores& scores,
                                                           const std::vector<double>& byDeltaG,
                                                           const std::vector<std::vector<double>>& byPoseEnergy);

/** The loss on result.scores, its derivatives and g_l,n, into `result`. */
void applyLigandSetLoss(const std::vector<LigandTerm>& ligands, const LigandSetLoss& loss, SetGradientResult& result);

} // namespace AffinityPlugin

#endif
