#ifndef OPENMM_AFFINITY_SCORER_H_
#define OPENMM_AFFINITY_SCORER_H_

#include "AffinityExport.h"
#include "AffinityModel.h"
#include "AffinityUnits.h"
#include "PoseEnsemble.h"
#include "openmm/Vec3.h"
#include <torch/script.h>
#include <vector>

namespace AffinityPlugin {

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
    /** Throw an OpenMMException unless the poses have this scorer's topology, are finite and not empty. */
    void checkPoses(const PoseEnsemble& poses, const std::string& who) const;

private:
    int64_t bytesPerPose(bool withGradient);
    AffinityModel model;
    torch::Device device;
    torch::ScalarType dtype;
    double temperature;
    torch::Tensor atomicNumbers, ligandMask;
    int64_t measuredBytesPerPose[2] = {0, 0};
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
