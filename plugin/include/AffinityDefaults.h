// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_DEFAULTS_H_
#define OPENMM_AFFINITY_DEFAULTS_H_

/**
 * The defaults shared by the Force, the gradient export, the command-line tools and the
 * Python wrappers. Each is written here once; everything else refers to these names.
 */

namespace AffinityPlugin {

/** The temperature used when none is given, in K. */
constexpr double DefaultTemperature = 298.15;
/**
 * The device memory, in MiB, that one batch of poses may take when the batch size is chosen
 * automatically (measured by probe evaluations; see AffinityForce's PoseMemoryBudgetMiB). It
 * bounds the memory a model call works with; the positions of all poses, uploaded at once, and
 * the results kept for all of them come on top.
 */
constexpr double DefaultMemoryBudgetMiB = 1024.0;
/**
 * The scale t of the smooth maximum (log-sum-exp) combination, βΔG = (s/t) ln Σ exp(s t β G_n),
 * dimensionless: it differs from the hard minimum (or maximum) by at most k_B T ln(N) / t,
 * under 0.02 kJ/mol for 1,000 poses at 298.15 K.
 */
constexpr double DefaultSmoothMaxScale = 1000.0;
/**
 * The pocket cutoff of the docking tools, in nm: the receptor atoms within this distance of
 * any atom of any pose of a ligand, with the ligand, make up the complex the model sees.
 */
constexpr double DefaultPocketCutoffNm = 1.0;

} // namespace AffinityPlugin

#endif
