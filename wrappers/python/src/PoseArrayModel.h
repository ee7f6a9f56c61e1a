// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PYTHON_POSE_ARRAY_MODEL_H_
#define OPENMM_AFFINITY_PYTHON_POSE_ARRAY_MODEL_H_

// The LibTorch-free face of AffinityScorer and the gradient export that the Python module is
// built on: plain C++ types in and out (flat arrays of doubles, names, shapes), so that SWIG
// never sees a torch type and only PoseArrayModel.cpp includes LibTorch's headers.

#include "AffinityLoss.h"
#include "Combination.h"
#include "LigandSetLoss.h"
#include "ModelBytes.h"
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace AffinityPython {

/** One named tensor (a parameter's value or gradient) as float64, flattened row-major. */
struct NamedArray {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<double> values;
};

/** What forEachPoseGradient() hands its callback for one pose. */
struct PoseGradientArrays {
    /** The index of the pose. */
    int pose = 0;
    /** G_n in kJ/mol. */
    double energy = 0.0;
    /** dG_n/dθ for each trainable parameter, in the order of named_parameters(). */
    std::vector<NamedArray> parameterGradients;
    /** dG_n/dx, N×3 values in kJ/mol/nm; empty unless asked for. */
    std::vector<double> positionGradient;
};

/** What combinedGradient() found. */
struct CombinedGradientArrays {
    /** The loss L. */
    double loss = 0.0;
    /** ΔG in kJ/mol, the pose weights and c_n = ∂ΔG/∂G_n. */
    AffinityPlugin::CombinationResult combination;
    /** G_n in kJ/mol. */
    std::vector<double> energies;
    /** g_n = ∂L/∂G_n. */
    std::vector<double> lossCoefficients;
    /** dL/dθ for each trainable parameter, in the order of named_parameters(). */
    std::vector<NamedArray> parameterGradients;
    /** dΔG/dx_n, P×N×3 values in kJ/mol/nm; empty unless asked for. */
    std::vector<double> positionGradients;
};

/** What LigandSet computed for a set of ligands, the per-pose values concatenated ligand by ligand. */
struct SetGradientArrays {
    /** The loss L (0 from LigandSet::score()). */
    double loss = 0.0;
    /** ΔG_l in kJ/mol, one per ligand. */
    std::vector<double> deltaG;
    /** The number of poses of each ligand, which splits the per-pose arrays. */
    std::vector<int> poseCounts;
    /** G_l,n in kJ/mol, the pose weights and c_l,n = ∂ΔG_l/∂G_l,n, ΣN values each. */
    std::vector<double> energies, weights, coefficients;
    /** ∂L/∂ΔG_l (L values), ∂L/∂G_l,n and g_l,n (ΣN values each); empty from score(). */
    std::vector<double> lossByDeltaG, lossByPoseEnergy, lossCoefficients;
    /** dL/dθ for each trainable parameter; empty unless a gradient was computed. */
    std::vector<NamedArray> parameterGradients;
};

class LigandSet;

/**
 * A TorchScript affinity model bound to one complex topology on one device (an
 * AffinityScorer), with poses passed as flat arrays of P×N×3 doubles in nm.
 *
 * The scorer holds its own copy of the model, loaded from the bytes of a TorchScript file.
 * A training loop that changes the parameters of its own module copies them in with
 * setTensorValues() before each call; gradients are returned, never accumulated here.
 */
class PoseArrayModel {
public:
    /**
     * @param modelBytes     the contents of a TorchScript file
     * @param atomicNumbers  the atomic number of each atom the model sees
     * @param ligandMask     for each atom, whether it belongs to the ligand
     * @param device         where the model runs: "cpu", "cuda" or "cuda:N"
     * @param dtype          "float32", "float64", or "" for the dtype of the model's parameters
     * @param temperature    T in K, for models that return kT and for β in the combinations
     * @throws OpenMMException for a model that cannot be loaded, an unknown or absent device
     *         or an unknown dtype
     */
    PoseArrayModel(const ModelBytes& modelBytes, const std::vector<int>& atomicNumbers,
                   const std::vector<bool>& ligandMask, const std::string& device, const std::string& dtype,
                   double temperature);
    ~PoseArrayModel();
    PoseArrayModel(const PoseArrayModel&) = delete;
    PoseArrayModel& operator=(const PoseArrayModel&) = delete;

    /** The device the model runs on, as LibTorch writes it ("cpu", "cuda:0"). */
    std::string getDevice() const;
    /** The dtype of positions and parameters: "float32" or "float64". */
    std::string getDtype() const;
    /** The number of atoms in each pose. */
    int getNumAtoms() const;
    /** T in K. */
    double getTemperature() const;
    /** Set T in K. */
    void setTemperature(double kelvin);
    /** How a float32 model's matrix products run on CUDA: "float32" (the default) or "tf32". */
    std::string getMatmulPrecision() const;
    /**
     * Set it (see getMatmulPrecision()).
     *
     * @throws OpenMMException for any other name
     */
    void setMatmulPrecision(const std::string& precision);
    /** The names of the trainable parameters, as named_parameters() gives them. */
    std::vector<std::string> getParameterNames() const;
    /** The names of the floating-point parameters and buffers that setTensorValues() accepts. */
    std::vector<std::string> getStateNames() const;
    /**
     * Copy values into a floating-point parameter or buffer of the model, by qualified name
     * (as state_dict() names it), converting them to the tensor's dtype and device.
     *
     * @param name    the qualified name, for example "layer1.weight"
     * @param values  the values, row-major
     * @param count   the number of values, which must equal the tensor's
     */
    void setTensorValues(const std::string& name, const double* values, size_t count);
    /**
     * The energy of every pose in kJ/mol, in batches and without autograd graphs.
     *
     * @param positions  P×N×3 values in nm
     * @param count      the number of values
     * @param batchSize  poses per model call, 0 to choose from budgetMiB
     * @param budgetMiB  memory a batch may use
     */
    std::vector<double> poseEnergies(const double* positions, size_t count, int batchSize, double budgetMiB);
    /**
     * The gradient of a loss on the combined ΔG of the poses, by one of the strategies
     * "store-all", "two-pass" or "one-pass" (see GradientExport.h).
     */
    CombinedGradientArrays combinedGradient(const double* positions, size_t count,
                                            const AffinityPlugin::Combination& combination,
                                            const AffinityPlugin::AffinityLoss& loss, const std::string& strategy,
                                            int batchSize, double budgetMiB, bool positionGradients);
    /**
     * Evaluate the poses one at a time with autograd and hand each pose's energy and
     * gradients to a callback; only one pose's graph is alive at a time.
     */
    void forEachPoseGradient(const double* positions, size_t count,
                             const std::function<void(const PoseGradientArrays&)>& callback, bool positionGradients);
    /**
     * A new scorer of another complex topology that shares this scorer's model (its parameters),
     * device, dtype and temperature: the scorers of a LigandSet must share one model.
     */
    PoseArrayModel* withTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask) const;
    /** Whether this scorer and another evaluate one model (share its parameters). */
    bool sharesModelWith(const PoseArrayModel& other) const;

private:
    friend class LigandSet;
    PoseArrayModel() = default;
    struct Impl;
    std::unique_ptr<Impl> impl;
};

/**
 * A set of ligands, each with its scorer (all sharing one model), poses and targets, for the
 * losses over sets of GradientExport.h. The scorers are not owned: they must outlive the set.
 */
class LigandSet {
public:
    LigandSet();
    ~LigandSet();
    LigandSet(const LigandSet&) = delete;
    LigandSet& operator=(const LigandSet&) = delete;
    /**
     * Add a ligand.
     *
     * @param scorer       the model bound to the ligand's topology
     * @param positions    P×N×3 values in nm
     * @param count        the number of values
     * @param target       y_l in the loss's readout unit
     * @param sigma        σ_l, the uncertainty of y_l
     * @param poseTargets  y_l,n, empty or one per pose
     */
    void addLigand(PoseArrayModel& scorer, const double* positions, size_t count, double target, double sigma,
                   const std::vector<double>& poseTargets);
    /** The number of ligands. */
    int getNumLigands() const;
    /**
     * The gradient of a loss over the set (combinedGradient() of GradientExport.h), by the
     * strategy "store-all", "two-pass" or "one-pass"; the gradients are returned, not kept.
     */
    SetGradientArrays combinedGradient(const AffinityPlugin::Combination& combination,
                                       const AffinityPlugin::LigandSetLoss& loss, const std::string& strategy,
                                       int batchSize, double budgetMiB);
    /** The loss and its derivatives without any gradient of the model (evaluateLigandSet()). */
    SetGradientArrays evaluate(const AffinityPlugin::Combination& combination,
                               const AffinityPlugin::LigandSetLoss& loss, int batchSize, double budgetMiB);
    /** Pass 1 of two-pass: G_l,n, ΔG_l and c_l,n, kept for backpropagate(). */
    SetGradientArrays score(const AffinityPlugin::Combination& combination, int batchSize, double budgetMiB);
    /**
     * Pass 2 of two-pass, after score(): dL/dθ for given ∂L/∂ΔG_l and ∂L/∂G_l,n.
     *
     * @param byDeltaG  ∂L/∂ΔG_l, one per ligand
     * @param values    ∂L/∂G_l,n, ΣN values ligand by ligand (or none)
     * @param count     the number of values
     */
    SetGradientArrays backpropagate(const std::vector<double>& byDeltaG, const double* values, size_t count,
                                    int batchSize, double budgetMiB);

private:
    struct Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace AffinityPython

#endif
