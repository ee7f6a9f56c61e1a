// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_COMBINATION_H_
#define OPENMM_AFFINITY_COMBINATION_H_

#include "AffinityDefaults.h"
#include "AffinityExport.h"
#include <memory>
#include <string>
#include <vector>

namespace AffinityPlugin {

/**
 * What a combination makes of the per-pose energies G_1..G_N of one ligand.
 */
struct OPENMM_EXPORT_AFFINITY CombinationResult {
    /** The combined ΔG, in kJ/mol. */
    double deltaG = 0.0;
    /** The weight of each pose, w_n = softmax(κ G)_n (they sum to 1). */
    std::vector<double> weights;
    /** c_n = ∂ΔG/∂G_n, so that dΔG/dθ = Σ_n c_n dG_n/dθ. */
    std::vector<double> coefficients;
};

/**
 * A rule that combines the per-pose energies of one ligand into one ΔG.
 *
 * Every combination here has the same shape, which is what lets one piece of code serve the
 * combinations, the gradient strategies and every platform:
 *
 *   w_n = softmax(κ G)_n,    c_n = ∂ΔG/∂G_n = w_n (a(ΔG) + b (G_n − G_ref))
 *
 * for a weight exponent κ, a shift G_ref (any constant; the gradient code uses the first
 * pose's energy, which keeps the sums small) and a pair (a, b) that depends only on ΔG.
 * Hence dΔG/dθ = a·A + b·B with A = Σ w_n dG_n/dθ and B = Σ w_n (G_n − G_ref) dG_n/dθ,
 * the two running sums of the one-pass gradient strategy (docs/combination-and-gradients.md
 * derives each combination's coefficients).
 *
 * All sums are evaluated in double precision with the exponent shifted by its maximum, so
 * that one pose and spreads of 10^4 kT give finite results.
 */
class OPENMM_EXPORT_AFFINITY Combination {
public:
    virtual ~Combination() = default;
    /** The name of the combination: "mean", "max" or "boltzmann". */
    virtual std::string getName() const = 0;
    /** The weight exponent κ, in mol/kJ, at inverse temperature β (mol/kJ). */
    virtual double weightExponent(double beta) const = 0;
    /**
     * ΔG from the energies and their weights.
     *
     * @param energies  G_n in kJ/mol
     * @param weights   softmax(κ G)_n
     * @param beta      1/(k_B T) in mol/kJ
     */
    virtual double deltaG(const std::vector<double>& energies, const std::vector<double>& weights,
                          double beta) const = 0;
    /**
     * The pair (a, b) of c_n = w_n (a + b (G_n − G_ref)).
     *
     * @param shiftedDeltaG  ΔG − G_ref in kJ/mol
     * @param beta           1/(k_B T) in mol/kJ
     */
    virtual std::pair<double, double> gradientCoefficients(double shiftedDeltaG, double beta) const = 0;
    /**
     * Whether b of gradientCoefficients() can be non-zero. Where it cannot (c_n = a w_n), the
     * one-pass gradient strategy keeps only the sum A and runs one backward pass per batch
     * instead of two. The default, true, is always correct.
     */
    virtual bool hasShiftTerm() const {
        return true;
    }
    /**
     * Combine per-pose energies.
     *
     * @param energies     G_n in kJ/mol, at least one, all finite
     * @param temperature  T in K
     * @throws OpenMMException for no energies or a non-finite energy
     */
    CombinationResult combine(const std::vector<double>& energies, double temperature) const;
    /**
     * Make a combination from its name: "mean", "max" (MaxCombination(−1, maxScale): the
     * smooth minimum of ΔG, i.e. the strongest-binding pose) or
     * "boltzmann".
     */
    static std::unique_ptr<Combination> fromName(const std::string& name, double maxScale = DefaultSmoothMaxScale);
};

/** ΔG = (1/N) Σ G_n; c_n = 1/N. */
class OPENMM_EXPORT_AFFINITY MeanCombination : public Combination {
public:
    std::string getName() const override {
        return "mean";
    }
    double weightExponent(double beta) const override;
    double deltaG(const std::vector<double>& energies, const std::vector<double>& weights, double beta) const override;
    std::pair<double, double> gradientCoefficients(double shiftedDeltaG, double beta) const override;
    bool hasShiftTerm() const override {
        return false;
    }
};

/**
 * A smooth maximum or minimum by log-sum-exp on βG:
 * βΔG = (s/t) ln Σ exp(s t β G_n), so c_n = softmax(s t β G)_n.
 * The defaults (sign −1, scale DefaultSmoothMaxScale) are: a smooth minimum that is nearly the
 * lowest energy.
 */
class OPENMM_EXPORT_AFFINITY MaxCombination : public Combination {
public:
    /**
     * @param sign   −1 for the smooth minimum, +1 for the smooth maximum
     * @param scale  t > 0; larger is closer to the hard minimum or maximum
     */
    explicit MaxCombination(int sign = -1, double scale = DefaultSmoothMaxScale);
    std::string getName() const override {
        return "max";
    }
    int getSign() const {
        return sign;
    }
    double getScale() const {
        return scale;
    }
    double weightExponent(double beta) const override;
    double deltaG(const std::vector<double>& energies, const std::vector<double>& weights, double beta) const override;
    std::pair<double, double> gradientCoefficients(double shiftedDeltaG, double beta) const override;
    bool hasShiftTerm() const override {
        return false;
    }

private:
    int sign;
    double scale;
};

/**
 * Boltzmann weighting: w_n = softmax(−β G)_n, ΔG = Σ w_n G_n,
 * c_n = w_n (1 − β (G_n − ΔG)).
 */
class OPENMM_EXPORT_AFFINITY BoltzmannCombination : public Combination {
public:
    std::string getName() const override {
        return "boltzmann";
    }
    double weightExponent(double beta) const override;
    double deltaG(const std::vector<double>& energies, const std::vector<double>& weights, double beta) const override;
    std::pair<double, double> gradientCoefficients(double shiftedDeltaG, double beta) const override;
};

/**
 * softmax(κ x) in double precision, shifted by the maximum exponent.
 */
OPENMM_EXPORT_AFFINITY std::vector<double> softmaxWeights(const std::vector<double>& x, double kappa);

/**
 * ln Σ exp(κ x_n) in double precision, shifted by the maximum exponent.
 */
OPENMM_EXPORT_AFFINITY double logSumExp(const std::vector<double>& x, double kappa);

} // namespace AffinityPlugin

#endif
