#ifndef OPENMM_AFFINITY_SCORER_H_
#define OPENMM_AFFINITY_SCORER_H_

#include "AffinityExport.h"
#include "AffinityModel.h"
#include "AffinityUnits.h"
#include "PoseEnsemble.h"
#include "openmm/Vec3.h"
#include <torch/script.h>
#include <memory>
#include <vector>

namespace AffinityPlugin {

class EnergyBatchPass;
class GradientBatchPass;
struct GraphMemoryPool;

/** Weighted sums of per-pose gradients, from AffinityScorer::weightedGradients(). */
struct OPENMM_EXPORT_AFFINITY WeightedGradients {
    /** Σ_n w_n dE_n/dθ, float64 on the scorer's device, one per trainable parameter (model order). */
    std::vector<torch::Tensor> parameters;
    /** u_n dE_n/dx_n, [P,N,3] on the scorer's device; undefined unless asked for. */
    torch::Tensor positions;
};

/**
 * An affinity model bound to one complex topology on one device: what every platform
 * kernel, the gradient export and the pipelines use to evaluate poses. It needs no OpenMM
 * Context, so pipelines can score poses on a chosen device directly.
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
    AffinityModel& getModel() {
        return model;
    }
    const torch::Device& getDevice() const {
        return device;
    }
    torch::ScalarType getDtype() const {
        return dtype;
    }
    int getNumAtoms() const {
        return (int) atomicNumbers.size(0);
    }
    double getTemperature() const {
        return temperature;
    }
    void setTemperature(double kelvin);
    /** Replace the atomic numbers and ligand flags (same number of atoms). */
    void setTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask);
    /**
     * Whether batched evaluations (batchedEnergies, weightedGradients) on a CUDA device capture
     * the model call for a batch shape in a CUDA graph after two eager calls of that shape and
     * replay it from then on (default: on). The results are the same; a small batch is then no
     * longer bound by the host's cost of launching the model's kernels. The graphs hold the
     * device memory of one batch between calls (the energy graph and the gradient graph of the
     * latest batch shapes share it; releaseCUDAGraphs() frees it). A model that cannot be
     * captured is run eagerly.
     */
    void setUseCUDAGraphs(bool use);
    bool getUseCUDAGraphs() const {
        return useCUDAGraphs;
    }
    /**
     * How many of the kept batch evaluations (energies, gradients) replay a captured CUDA
     * graph: 0, 1 or 2. For checking that a model is captured.
     */
    int getNumCapturedGraphs() const;
    /** Why the model could not be captured in the latest batch evaluations, or empty. */
    std::string getCUDAGraphFailure() const;
    /** Drop the kept batch evaluations and the device memory their graphs hold. */
    void releaseCUDAGraphs();
    /**
     * Energies in kJ/mol, [B], of positions [B,N,3] in nm on this scorer's device and dtype;
     * differentiable. See AffinityModel::energies for checkFinite.
     */
    torch::Tensor energies(const torch::Tensor& positions, bool checkFinite = true);
    /**
     * Upload the positions of poses [first, first+count) to this scorer's device and dtype,
     * as a [count,N,3] tensor.
     */
    torch::Tensor uploadPoses(const PoseEnsemble& poses, int first, int count) const;
    /**
     * The number of poses per model call: the given batch size if > 0, else on a GPU as many
     * as fit in a memory budget (measured on a probe batch), and on the CPU one (batching
     * does not pay there); one pose for models without batch support.
     *
     * @param requested     a batch size, or 0 to choose one
     * @param budgetMiB     memory a batch may use
     * @param withGradient  whether the batch keeps an autograd graph
     */
    int batchSize(int requested, double budgetMiB, bool withGradient);
    /**
     * The energy of every pose, in kJ/mol, evaluated in batches without autograd graphs.
     *
     * @param poses      poses of this scorer's topology
     * @param batchSize  poses per model call (0: chosen from budgetMiB)
     * @param budgetMiB  memory a batch may use, when the batch size is chosen
     */
    std::vector<double> poseEnergies(const PoseEnsemble& poses, int batchSize = 0, double budgetMiB = 1024.0);
    /**
     * The energy of every pose of positions [P,N,3] already on this scorer's device, in kJ/mol,
     * evaluated in batches of `batch` poses without autograd graphs.
     */
    std::vector<double> batchedEnergies(const torch::Tensor& positions, int batch);
    /**
     * Σ_n w_n dE_n/dθ for every trainable parameter θ, and u_n dE_n/dx_n per pose when
     * positionWeights is defined, over positions [P,N,3] already on this scorer's device,
     * evaluated with autograd in batches of `batch` poses. Only one batch's autograd graph is
     * alive at a time.
     *
     * @param weights          w, [P] on this scorer's device and dtype
     * @param positionWeights  u, [P] likewise, or undefined for no position gradients
     */
    WeightedGradients weightedGradients(const torch::Tensor& positions, const torch::Tensor& weights,
                                        const torch::Tensor& positionWeights, int batch);
    /** Throw an OpenMMException unless the poses have this scorer's topology, are finite and not empty. */
    void checkPoses(const PoseEnsemble& poses, const std::string& who) const;

private:
    int64_t bytesPerPose(bool withGradient);
    GraphMemoryPool batchGraphPool();
    AffinityModel model;
    torch::Device device;
    torch::ScalarType dtype;
    double temperature;
    torch::Tensor atomicNumbers, ligandMask;
    std::vector<int> hostAtomicNumbers;
    std::vector<bool> hostLigandMask;
    int64_t measuredBytesPerPose[2] = {0, 0};
    bool useCUDAGraphs = true;
    std::unique_ptr<EnergyBatchPass> energyPass;
    std::unique_ptr<GradientBatchPass> gradientPass;
    std::unique_ptr<GraphMemoryPool> graphPool;
};

/**
 * Move each atom of positions [N,3] (nm) to the periodic image nearest the centre of the
 * ligand (made whole around its first atom first), or nearest atom 0 when there is no
 * ligand, for OpenMM's reduced triclinic box vectors box [3,3] (rows a, b, c). Lattice
 * translations do not change gradients, so forces computed from the imaged positions apply to
 * the original ones. Only device operations: no value is read back to the host.
 *
 * @param ligandAtoms  int64 indices of the ligand atoms (empty when there is no ligand)
 */
OPENMM_EXPORT_AFFINITY torch::Tensor imageAroundLigand(const torch::Tensor& positions, const torch::Tensor& box,
                                                      const torch::Tensor& ligandAtoms);

/** OpenMM's periodic box vectors a, b, c (nm) as the rows of a [3,3] tensor. */
OPENMM_EXPORT_AFFINITY torch::Tensor boxTensor(const OpenMM::Vec3& a, const OpenMM::Vec3& b, const OpenMM::Vec3& c,
                                              const torch::TensorOptions& options);

/** The int64 indices of the true entries of a ligand mask, on a device. */
OPENMM_EXPORT_AFFINITY torch::Tensor ligandAtomIndices(const std::vector<bool>& ligandMask, const torch::Device& device);

} // namespace AffinityPlugin

#endif
