// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_LOSS_H_
#define OPENMM_AFFINITY_LOSS_H_

#include "AffinityExport.h"
#include <string>
#include <vector>

namespace AffinityPlugin {

/**
 * How a combined ΔG is read out as a quantity that assays report.
 *
 *  - None:  ΔG itself, in kJ/mol.
 *  - PIC50: pIC50 = −βΔG/ln 10 − log10(1 + [S]/K_m) (the Cheng–Prusoff relation), with the
 *           substrate concentration [S] and Michaelis constant K_m in the same unit.
 *  - PKi:   pK_i = −βΔG/ln 10.
 */
class OPENMM_EXPORT_AFFINITY Readout {
public:
    enum Kind { None, PIC50, PKi };
    /** ΔG itself. */
    Readout() = default;
    /**
     * @param kind                    which readout
     * @param substrateConcentration  [S], for PIC50 (0 gives pIC50 = pK_i)
     * @param michaelisConstant       K_m, for PIC50, > 0
     */
    explicit Readout(Kind kind, double substrateConcentration = 0.0, double michaelisConstant = 1.0);
    /** Make a readout from its name: "none" ("dg"), "pic50" or "pki". */
    static Readout fromName(const std::string& name, double substrateConcentration = 0.0,
                            double michaelisConstant = 1.0);
    Kind getKind() const {
        return kind;
    }
    /** The readout of ΔG (kJ/mol) at inverse temperature β (mol/kJ). */
    double apply(double deltaG, double beta) const;
    /** d(readout)/dΔG, which is constant in ΔG. */
    double derivative(double beta) const;

private:
    Kind kind = None;
    double substrateConcentration = 0.0;
    double michaelisConstant = 1.0;
};

/**
 * The training loss of one ligand:
 *
 *   L = (r(ΔG) − y)² + λ Σ_n (G_n − y_n)²
 *
 * a squared error of the readout r of the combined ΔG against the ligand's target y, plus
 * optional per-pose terms ℓ_n(G_n) = λ (G_n − y_n)² against per-pose targets y_n in kJ/mol
 * (for instance a docking score per pose). Then dL/dθ = Σ_n g_n dG_n/dθ with
 * g_n = L'(ΔG) c_n + ℓ_n'(G_n).
 */
class OPENMM_EXPORT_AFFINITY AffinityLoss {
public:
    /**
     * @param target   y, in the readout's unit (kJ/mol when there is no readout)
     * @param readout  how ΔG is read out before it is compared with the target
     */
    explicit AffinityLoss(double target, const Readout& readout = Readout());
    /**
     * Add per-pose terms λ (G_n − y_n)².
     *
     * @param poseTargets  y_n in kJ/mol, one per pose
     * @param poseWeight   λ ≥ 0
     */
    void setPoseTargets(const std::vector<double>& poseTargets, double poseWeight = 1.0);
    double getTarget() const {
        return target;
    }
    const Readout& getReadout() const {
        return readout;
    }
    bool hasPoseTerms() const {
        return !poseTargets.empty();
    }
    const std::vector<double>& getPoseTargets() const {
        return poseTargets;
    }
    double getPoseWeight() const {
        return poseWeight;
    }
    /**
     * Throw an OpenMMException unless the target and pose targets are finite and there is one
     * pose target per pose (when there are any).
     */
    void validate(int numPoses) const;
    /** L for a combined ΔG and the per-pose energies (kJ/mol). */
    double value(double deltaG, const std::vector<double>& energies, double beta) const;
    /** ∂L/∂ΔG. */
    double derivativeByDeltaG(double deltaG, double beta) const;
    /** ℓ_n'(G_n), 0 without per-pose terms. */
    double derivativeByPose(int pose, double energy) const;
    /** g_n = L'(ΔG) c_n + ℓ_n'(G_n) for each pose. */
    std::vector<double> poseCoefficients(double deltaG, const std::vector<double>& energies,
                                         const std::vector<double>& combinationCoefficients, double beta) const;

private:
    double target;
    Readout readout;
    std::vector<double> poseTargets;
    double poseWeight = 0.0;
};

} // namespace AffinityPlugin

#endif
