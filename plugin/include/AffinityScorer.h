// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_SCORER_H_
#define OPENMM_AFFINITY_SCORER_H_

#include "AffinityExport.h"
#include "AffinityModel.h"
#include "AffinityUnits.h"
#include "PoseEnsemble.h"
#include "internal/BatchPassCache.h"
#include "internal/BatchSizer.h"
#include "internal/BoundModel.h"
#include <functional>
#include <string>
#include <torch/script.h>
#include <vector>

namespace AffinityPlugin {

/** Weighted sums of per-pose gradients, from AffinityScorer::weightedGradients(). */
struct OPENMM_EXPORT_AFFINITY WeightedGradients {
    /** Σ_n w_n dE_n/dθ, float64 on the scorer's device, one per trainable parameter (model order). */
    std::vector<torch::Tensor> parameters;
    /** The same sums flattened and concatenated in model order: `parameters` are views of it. */
    torch::Tensor flatParameters;
    /** E_n in kJ/mol, [P] on the scorer's device and in its dtype, not checked for finiteness. */
    torch::Tensor energies;
    /** u_n dE_n/dx_n, [P,N,3] on the scorer's device; undefined unless asked for. */
    torch::Tensor positions;
};

/** Each pose's own gradients for consecutive poses, from AffinityScorer::poseGradients(). */
struct OPENMM_EXPORT_AFFINITY PoseGradients {
    /** The first of the poses. */
    int first = 0;
    /**
     * dE_n/dθ, [count, entries], float64 on the scorer's device: one row per pose, every trainable parameter's
     * entries flattened one after another in model order.
     */
    torch::Tensor flatParameters;
    /** E_n in kJ/mol, [count] on the scorer's device and in its dtype, not checked for finiteness. */
    torch::Tensor energies;
    /** dE_n/dx_n, [count,N,3] on the scorer's device; undefined unless asked for. */
    torch::Tensor positions;
};

/**
 * An affinity model bound to one complex topology on one device: what every platform
 * kernel, the gradient export and the pipelines use to evaluate poses. It needs no OpenMM
 * Context, so pipelines can score poses on a chosen device directly.
 *
 * It composes the pieces that do the work, each of its own concern: the model bound to the
 * topology and temperature (BoundModel, ComplexTopology), the checks and the upload of poses
 * (PoseUpload.h), the choice of batch sizes (BatchSizer), the batch passes kept between calls
 * with their CUDA graphs (BatchPassCache), and the batched passes of TwoPassGradient.h.
 */
class OPENMM_EXPORT_AFFINITY AffinityScorer {
public:
    /**
     * @param model          the model; it is moved to the device and dtype in place
     * @param atomicNumbers  one per atom the model sees
     * @param ligandMask     one per atom the model sees
     * @param device         where the model runs
     * @param dtype          the floating-point dtype of positions and parameters
     * @param temperature    T in K, for models that return kT
     */
    AffinityScorer(AffinityModel model, const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask,
                   const torch::Device& device, torch::ScalarType dtype, double temperature = DefaultTemperature);
    ~AffinityScorer();
    AffinityScorer(AffinityScorer&&) noexcept;
    AffinityScorer& operator=(AffinityScorer&&) noexcept;
    /** The model; copies of it share its parameters. */
    AffinityModel& getModel() {
        return bound.model;
    }
    /** The model. */
    const AffinityModel& getModel() const {
        return bound.model;
    }
    /** Where the model runs. */
    const torch::Device& getDevice() const {
        return bound.device;
    }
    /** The floating-point dtype of positions and parameters. */
    torch::ScalarType getDtype() const {
        return bound.dtype;
    }
    /** The number of atoms the model sees. */
    int getNumAtoms() const {
        return bound.getNumAtoms();
    }
    /** T in K. */
    double getTemperature() const {
        return bound.temperature;
    }
    /**
     * Set T in K (releases the CUDA graphs, which hold the temperature they were captured with).
     *
     * @throws OpenMMException unless kelvin is positive and finite
     */
    void setTemperature(double kelvin);
    /**
     * Set the values of the global parameters the model takes (see ForwardOptions), in the
     * model's order. They are copied in place, so CUDA graphs captured earlier read the new values.
     *
     * @throws OpenMMException unless there is one value per global parameter
     */
    void setGlobalParameters(const std::vector<double>& values);
    /**
     * Set the periodic box ([3,3], rows a, b, c, nm) for a model that takes it; copied in place
     * like the global parameters. Ignored for other models.
     */
    void setBox(const torch::Tensor& box);
    /** The box and global parameters the model is called with (see BoundModel::extras). */
    const ForwardExtras& getExtras() const {
        return bound.extras;
    }
    /** Replace the atomic numbers and ligand flags (same number of atoms). */
    void setTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask);
    /**
     * Set how a float32 model's matrix products run on CUDA (see MatmulPrecision). Releases the
     * CUDA graphs, which replay the kernels they were captured with, and forgets the batch sizes
     * measured in the earlier mode (cuBLAS's workspaces differ between the two).
     */
    void setMatmulPrecision(MatmulPrecision precision) {
        bound.model.setMatmulPrecision(precision);
        passes.release();
        sizer = BatchSizer();
    }
    MatmulPrecision getMatmulPrecision() const {
        return bound.model.getMatmulPrecision();
    }
    /**
     * Whether batched evaluations (batchedEnergies, weightedGradients, poseGradients,
     * onePassBatches) on a CUDA device capture
     * the model call for a batch shape in a CUDA graph after two eager calls of that shape and
     * replay it from then on (default: on). The results are the same; a small batch is then no
     * longer bound by the host's cost of launching the model's kernels. The graphs hold the
     * device memory of one batch between calls (the energy graph and the gradient graph of the
     * latest batch shapes share it; releaseCUDAGraphs() frees it). A model that cannot be
     * captured is run eagerly.
     */
    void setUseCUDAGraphs(bool use) {
        passes.setUseCUDAGraphs(use);
    }
    /** Whether batched evaluations on a CUDA device capture CUDA graphs. */
    bool getUseCUDAGraphs() const {
        return passes.getUseCUDAGraphs();
    }
    /**
     * How many CUDA graphs the kept batch evaluations replay: one each for the energies, the
     * gradients and each pose's own gradients, two for the one-pass strategy's batches (0 to 5).
     * For checking that a model is captured.
     */
    int getNumCapturedGraphs() const {
        return passes.getNumCapturedGraphs();
    }
    /** Why the model could not be captured in the latest batch evaluations, or empty. */
    std::string getCUDAGraphFailure() const {
        return passes.getCUDAGraphFailure();
    }
    /** Drop the kept batch evaluations and the device memory their graphs hold. */
    void releaseCUDAGraphs() {
        passes.release();
    }
    /**
     * Energies in kJ/mol, [B], of positions [B,N,3] in nm on this scorer's device and dtype;
     * differentiable. See AffinityModel::energies for checkFinite.
     */
    torch::Tensor energies(const torch::Tensor& positions, bool checkFinite = true) {
        return bound.energies(positions, checkFinite);
    }
    /**
     * Energies and, for a model that outputs them, forces of positions [B,N,3] on this scorer's
     * device and dtype, called with the given box and global parameters rather than the kept ones.
     */
    ModelOutput outputs(const torch::Tensor& positions, const ForwardExtras& extras, bool checkFinite = true) {
        return bound.outputs(positions, extras, checkFinite);
    }
    /**
     * Upload the positions of poses [first, first+count) to this scorer's device and dtype,
     * as a [count,N,3] tensor.
     */
    torch::Tensor uploadPoses(const PoseEnsemble& poses, int first, int count) const;
    /**
     * The number of poses per model call: the given batch size if > 0, else on a GPU as many
     * as fit in a memory budget (measured on probe batches), and on the CPU one (batching
     * does not pay there); one pose for models without batch support.
     *
     * @param requested     a batch size, or 0 to choose one
     * @param budgetMiB     memory a model call of the batch may work with (the poses' positions,
     *                      uploaded at once for all batches, come on top)
     * @param withGradient  whether the batch keeps an autograd graph
     */
    int batchSize(int requested, double budgetMiB, bool withGradient) {
        return sizer.batchSize(bound, requested, budgetMiB, withGradient);
    }
    /**
     * The energy of every pose, in kJ/mol, evaluated in batches without autograd graphs.
     *
     * @param poses      poses of this scorer's topology
     * @param batchSize  poses per model call (0: chosen from budgetMiB)
     * @param budgetMiB  memory a batch may use, when the batch size is chosen
     */
    std::vector<double> poseEnergies(const PoseEnsemble& poses, int batchSize = 0,
                                     double budgetMiB = DefaultMemoryBudgetMiB);
    /**
     * The energy of every pose of positions [P,N,3] already on this scorer's device, in kJ/mol,
     * evaluated in batches of `batch` poses without autograd graphs (pass 1 of TwoPassGradient).
     */
    std::vector<double> batchedEnergies(const torch::Tensor& positions, int batch);
    /**
     * Σ_n w_n dE_n/dθ for every trainable parameter θ, E_n, and u_n dE_n/dx_n per pose when
     * positionWeights is defined, over positions [P,N,3] already on this scorer's device,
     * evaluated with autograd in batches of `batch` poses. Only one batch's autograd graph is
     * alive at a time (pass 2 of TwoPassGradient).
     *
     * @param weights          w, [P] on this scorer's device and dtype
     * @param positionWeights  u, [P] likewise, or undefined for no position gradients
     */
    WeightedGradients weightedGradients(const torch::Tensor& positions, const torch::Tensor& weights,
                                        const torch::Tensor& positionWeights, int batch);
    /**
     * The poses poseGradients() evaluates side by side: the given number if > 0, else on a GPU as
     * many one-pose evaluations with autograd as fit in a memory budget (measured on a probe pose),
     * and on the CPU one; at most MaxPosesSideBySide (8).
     */
    int posesSideBySide(int requested, double budgetMiB) {
        return sizer.sideBySide(bound, requested, budgetMiB, MaxPosesSideBySide);
    }
    /**
     * Each pose's own dE_n/dθ, E_n and, when asked, dE_n/dx_n, over positions [P,N,3] already on this scorer's
     * device, handed to `sink` a batch of poses at a time (in order, each pose once) in tensors that are
     * overwritten after the sink returns: copy what is kept. Every pose is a model call and a backward pass of its
     * own; on a GPU the `batch` poses of a batch (at most MaxPosesSideBySide) run side by side, from one CUDA graph
     * after the warm-up calls, which is what makes one pose at a time cheap there (the store-all strategy).
     *
     * @param positionGradients  whether to compute dE_n/dx_n
     * @param batch              poses side by side, ≥ 1
     */
    void poseGradients(const torch::Tensor& positions, bool positionGradients, int batch,
                       const std::function<void(const PoseGradients&)>& sink);
    /**
     * The pass of the one-pass gradient strategy for batches of `batch` poses with the given
     * sums, kept between calls (with its CUDA graphs) like the passes of batchedEnergies() and
     * weightedGradients().
     */
    OnePassBatchPass& onePassBatches(int batch, const OnePassSums& sums) {
        return passes.onePassPass(bound, batch, sums);
    }
    /** Throw an OpenMMException unless the poses have this scorer's topology, are finite and not empty. */
    void checkPoses(const PoseEnsemble& poses, const std::string& who) const;

private:
    BoundModel bound;
    BatchSizer sizer;
    BatchPassCache passes;
    std::vector<double> globalValues;
};

} // namespace AffinityPlugin

#endif
