// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_LIGAND_SET_LOSS_H_
#define OPENMM_AFFINITY_LIGAND_SET_LOSS_H_

#include "AffinityExport.h"
#include "AffinityLoss.h"
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torch {
namespace jit {
struct Module;
}
} // namespace torch

namespace AffinityPlugin {

/**
 * What a loss over a set of ligands is evaluated on: for each ligand l of the set, its
 * combined ΔG_l, its per-pose energies G_l,n and its targets.
 */
struct OPENMM_EXPORT_AFFINITY LigandSetValues {
    /** ΔG_l in kJ/mol, one per ligand. */
    std::vector<double> deltaG;
    /** G_l,n in kJ/mol, one vector per ligand, one value per pose. */
    std::vector<std::vector<double>> poseEnergies;
    /** y_l, in the unit of the loss's readout (kJ/mol without one), one per ligand. */
    std::vector<double> targets;
    /** σ_l, the uncertainty of y_l in the same unit, one per ligand (used by GaussianNllLoss). */
    std::vector<double> sigmas;
    /**
     * y_l,n, in the unit of the loss's pose readout, one vector per ligand: empty for a
     * ligand without per-pose targets, else one value per pose.
     */
    std::vector<std::vector<double>> poseTargets;
    /** β_l = 1/(k_B T) of each ligand's scorer, in mol/kJ, for the readouts. */
    std::vector<double> betas;
};

/**
 * What a loss formula sees: the values of a LigandSetValues after the readouts,
 * p_l = r(ΔG_l) and q_l,n = r_pose(G_l,n).
 */
struct OPENMM_EXPORT_AFFINITY SetLossInput {
    /** p_l = r(ΔG_l), one per ligand, in the readout's unit. */
    std::vector<double> predictions;
    /** q_l,n = r_pose(G_l,n), one vector per ligand, in the pose readout's unit. */
    std::vector<std::vector<double>> posePredictions;
    /** y_l, one per ligand. */
    std::vector<double> targets;
    /** σ_l, one per ligand. */
    std::vector<double> sigmas;
    /** y_l,n, one vector per ligand (empty for a ligand without per-pose targets). */
    std::vector<std::vector<double>> poseTargets;
};

/**
 * A loss value and its derivatives by the inputs of the function that returned it: by p_l and
 * q_l,n for a formula (SetLossInput), by ΔG_l and G_l,n for LigandSetLoss::evaluate().
 */
struct OPENMM_EXPORT_AFFINITY SetLossValue {
    /** The loss L. */
    double value = 0.0;
    /** ∂L/∂p_l (or ∂L/∂ΔG_l), one per ligand. */
    std::vector<double> byLigand;
    /**
     * ∂L/∂q_l,n (or ∂L/∂G_l,n), one vector per ligand with one value per pose. A formula may
     * leave the whole vector empty when it does not depend on the per-pose values.
     */
    std::vector<std::vector<double>> byPose;
};

/**
 * A training loss over a set of ligands,
 *
 *   L = F(p, q, y, σ) + (λ/L) Σ_l Σ_n (q_l,n − y_l,n)²,
 *
 * where p_l = r(ΔG_l) is the readout r (Readout: none, pIC50, pK_i) of ligand l's combined
 * ΔG, q_l,n = r_pose(G_l,n) the pose readout of its per-pose energies (like mtenn's
 * pred_readout: the combination always works on G_l,n in kJ/mol; the pose readout changes only
 * what the loss sees), y_l the targets, σ_l their uncertainties and F the formula of the
 * subclass. The per-pose terms apply to the ligands that have per-pose targets y_l,n, with
 * weight λ ≥ 0 (setPoseWeight(), default 0) divided by the number of ligands L, so that a set
 * of copies of one ligand has that ligand's loss.
 *
 * evaluate() returns L with ∂L/∂ΔG_l and ∂L/∂G_l,n, from which the gradient export forms
 * g_l,n = ∂L/∂ΔG_l · c_l,n + ∂L/∂G_l,n and dL/dθ = Σ_l Σ_n g_l,n dG_l,n/dθ. Every loss
 * differentiates only these L + ΣN numbers, never the model.
 *
 * With one ligand, MeanSquaredError with readout r and per-pose weight λ is AffinityLoss with
 * the same readout, target and per-pose terms, to the last bit.
 */
class OPENMM_EXPORT_AFFINITY LigandSetLoss {
public:
    virtual ~LigandSetLoss() = default;
    /** The name of the loss: "mse", "centred-mse", "ranking", "gaussian-nll", "torchscript", "callable". */
    virtual std::string getName() const = 0;
    /** Set the readout r of ΔG_l that the formula and the targets y_l see (default: ΔG itself). */
    void setReadout(const Readout& readout);
    /** Set the readout r_pose of G_l,n that the formula and the pose targets see (default: G itself). */
    void setPoseReadout(const Readout& readout);
    /** The readout of ΔG_l. */
    const Readout& getReadout() const {
        return readout;
    }
    /** The readout of G_l,n. */
    const Readout& getPoseReadout() const {
        return poseReadout;
    }
    /**
     * Set λ of the per-pose terms (λ/L) Σ_l Σ_n (q_l,n − y_l,n)², over the ligands that have
     * per-pose targets.
     *
     * @param weight  λ ≥ 0, finite
     */
    void setPoseWeight(double weight);
    /** λ of the per-pose terms. */
    double getPoseWeight() const {
        return poseWeight;
    }
    /**
     * Throw an OpenMMException unless the values describe at least one ligand, each with at
     * least one pose, the sizes agree, and every value is finite (σ_l > 0 for losses that use
     * it).
     */
    void validate(const LigandSetValues& values) const;
    /**
     * L with ∂L/∂ΔG_l and ∂L/∂G_l,n (byPose always has one value per pose).
     *
     * @throws OpenMMException for invalid values (see validate()) or a formula that returns a
     *         non-finite value or derivative, or derivatives of the wrong sizes
     */
    SetLossValue evaluate(const LigandSetValues& values) const;
    /**
     * Like evaluate(), without the per-pose terms: F and its derivatives by ΔG_l and G_l,n
     * (byPose empty when F does not depend on the per-pose values).
     */
    SetLossValue evaluateFormula(const LigandSetValues& values) const;
    /**
     * Add the per-pose terms to what evaluateFormula() returned for the same values: their sum
     * to the value and their derivatives to byPose (which then has one value per pose).
     */
    void addPoseTerms(const LigandSetValues& values, SetLossValue& formulaValue) const;
    /**
     * The derivative of the per-pose term of one pose by its energy,
     * (2λ/L)(q_l,n − y_l,n) r_pose', or 0 when the ligand has no per-pose targets.
     *
     * @param energy      G_l,n in kJ/mol
     * @param poseTarget  y_l,n
     * @param beta        β_l in mol/kJ
     * @param numLigands  L
     */
    double poseTermDerivative(double energy, double poseTarget, double beta, int numLigands) const;

protected:
    /**
     * The formula F on the read-out values, with its derivatives by p_l and q_l,n.
     * Called with valid input of at least one ligand.
     */
    virtual SetLossValue formula(const SetLossInput& input) const = 0;
    /** Whether the formula uses σ_l (which must then be > 0). */
    virtual bool usesSigmas() const {
        return false;
    }

private:
    Readout readout, poseReadout;
    double poseWeight = 0.0;
};

/** F = (1/L) Σ_l (p_l − y_l)²: the mean squared error over the ligands. */
class OPENMM_EXPORT_AFFINITY MeanSquaredError : public LigandSetLoss {
public:
    std::string getName() const override {
        return "mse";
    }

protected:
    SetLossValue formula(const SetLossInput& input) const override;
};

/**
 * F = (1/L) Σ_l (e_l − ē)² with e_l = p_l − y_l and ē = (1/L) Σ_l e_l: the squared error after
 * removing the set's mean residual, which scores relative affinities within a set (a shared
 * offset of all predictions costs nothing). With one ligand F = 0.
 */
class OPENMM_EXPORT_AFFINITY CentredMeanSquaredError : public LigandSetLoss {
public:
    std::string getName() const override {
        return "centred-mse";
    }

protected:
    SetLossValue formula(const SetLossInput& input) const override;
};

/**
 * A pairwise logistic ranking loss on the predictions:
 *
 *   F = (1/|P|) Σ_{(i,j) ∈ P} ln(1 + exp(−s_ij (p_i − p_j)/τ)),   s_ij = sign(y_i − y_j),
 *
 * over the pairs P = {(i, j): i < j, |y_i − y_j| > tie tolerance}; F = 0 when P is empty. The
 * term of a pair is small when the predictions are ordered as the targets are, so the sign
 * convention follows the readout: with no readout (ΔG in kJ/mol) lower is tighter binding
 * for targets and predictions alike; with pIC50 or pK_i higher is tighter for both.
 * ln(1 + exp(x)) is evaluated as max(x, 0) + ln(1 + exp(−|x|)).
 */
class OPENMM_EXPORT_AFFINITY PairwiseRankingLoss : public LigandSetLoss {
public:
    /**
     * @param scale          τ > 0, in the readout's unit (kJ/mol without a readout)
     * @param tieTolerance   pairs whose targets differ by no more than this (≥ 0) are left out
     */
    explicit PairwiseRankingLoss(double scale = 1.0, double tieTolerance = 0.0);
    std::string getName() const override {
        return "ranking";
    }
    double getScale() const {
        return scale;
    }
    double getTieTolerance() const {
        return tieTolerance;
    }

protected:
    SetLossValue formula(const SetLossInput& input) const override;

private:
    double scale, tieTolerance;
};

/**
 * The Gaussian negative log-likelihood of the targets, averaged over the ligands:
 *
 *   F = (1/L) Σ_l [ (p_l − y_l)² / (2 σ_l²) + ln σ_l + ½ ln 2π ]
 *
 * with the per-ligand uncertainty σ_l > 0 (LigandTerm::sigma) in the readout's unit.
 */
class OPENMM_EXPORT_AFFINITY GaussianNllLoss : public LigandSetLoss {
public:
    std::string getName() const override {
        return "gaussian-nll";
    }

protected:
    SetLossValue formula(const SetLossInput& input) const override;
    bool usesSigmas() const override {
        return true;
    }
};

/**
 * A loss formula given as a C++ callable that returns F and its derivatives by p_l and q_l,n
 * (byPose may be left empty when F does not depend on the per-pose values).
 */
class OPENMM_EXPORT_AFFINITY CallableSetLoss : public LigandSetLoss {
public:
    using Formula = std::function<SetLossValue(const SetLossInput&)>;
    /**
     * @param formula   F with its derivatives
     * @param name      what messages call the loss
     * @param usesSigmas whether F uses σ_l, which must then be > 0
     */
    explicit CallableSetLoss(Formula formula, std::string name = "callable", bool usesSigmas = false);
    std::string getName() const override {
        return name;
    }

protected:
    SetLossValue formula(const SetLossInput& input) const override;
    bool usesSigmas() const override {
        return sigmas;
    }

private:
    Formula function;
    std::string name;
    bool sigmas;
};

/**
 * A loss formula given as a TorchScript module whose forward is one of
 *
 *   forward(predictions, pose_predictions, targets) -> Tensor
 *   forward(predictions, pose_predictions, targets, sigmas) -> Tensor
 *   forward(predictions, pose_predictions, targets, sigmas, pose_targets) -> Tensor
 *
 * with predictions p [L], targets y [L] and sigmas σ [L] float64 Tensors on the CPU, and
 * pose_predictions (q_l,n) and pose_targets (y_l,n) lists (List[Tensor]) of L float64 Tensors,
 * one per ligand, of its pose count (a ligand without per-pose targets gets an empty Tensor).
 * forward returns the scalar F (a Tensor of one element). Its derivatives come from LibTorch's
 * autograd on these L + ΣN numbers; the module is called once per evaluation.
 */
class OPENMM_EXPORT_AFFINITY TorchScriptSetLoss : public LigandSetLoss {
public:
    /**
     * @param module  the module
     * @param origin  what the module came from, for messages
     * @throws OpenMMException if forward does not have one of the signatures above
     */
    explicit TorchScriptSetLoss(const torch::jit::Module& module, const std::string& origin = "the loss module");
    /** Load the module from a TorchScript file. */
    static TorchScriptSetLoss fromFile(const std::string& file);
    /** Load the module from the bytes of a TorchScript file. */
    static TorchScriptSetLoss fromBytes(const std::string& bytes, const std::string& origin = "the loss module");
    std::string getName() const override {
        return "torchscript";
    }
    /** The number of arguments forward takes besides self: 3, 4 or 5. */
    int getNumArguments() const;

protected:
    SetLossValue formula(const SetLossInput& input) const override;

private:
    struct Impl;
    std::shared_ptr<Impl> impl;
};

/**
 * Make a built-in loss from its name: "mse", "centred-mse" (or "centered-mse"), "ranking" or
 * "gaussian-nll".
 */
OPENMM_EXPORT_AFFINITY std::unique_ptr<LigandSetLoss> ligandSetLossFromName(const std::string& name);

} // namespace AffinityPlugin

#endif
