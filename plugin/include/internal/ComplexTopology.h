// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_COMPLEX_TOPOLOGY_H_
#define OPENMM_AFFINITY_COMPLEX_TOPOLOGY_H_

#include "AffinityExport.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/**
 * The atoms a model sees in one complex: their atomic numbers and ligand flags, as the tensors
 * the model is called with on its device and as host copies. The host copies exist so that
 * poses can be checked against the topology without reading the device tensors back, which
 * cost milliseconds per call on a GPU, more than a small batch's evaluation.
 */
class OPENMM_EXPORT_AFFINITY ComplexTopology {
public:
    /**
     * @param atomicNumbers  one per atom the model sees
     * @param ligandMask     one per atom the model sees: whether it belongs to the ligand
     * @param device         where the model runs
     * @throws OpenMMException if the two differ in length
     */
    ComplexTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask,
                    const torch::Device& device);
    /** The number of atoms the model sees. */
    int getNumAtoms() const {
        return (int)hostNumbers.size();
    }
    /** The atomic numbers, int64 [N] on the model's device. */
    const torch::Tensor& atomicNumbers() const {
        return numbers;
    }
    /** The ligand flags, bool [N] on the model's device. */
    const torch::Tensor& ligandMask() const {
        return mask;
    }
    /** The atomic numbers, on the host. */
    const std::vector<int>& hostAtomicNumbers() const {
        return hostNumbers;
    }
    /** The ligand flags, on the host. */
    const std::vector<bool>& hostLigandMask() const {
        return hostMask;
    }

private:
    torch::Tensor numbers, mask;
    std::vector<int> hostNumbers;
    std::vector<bool> hostMask;
};

} // namespace AffinityPlugin

#endif
