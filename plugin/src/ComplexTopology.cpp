// SPDX-License-Identifier: MIT
#include "internal/ComplexTopology.h"
#include "openmm/OpenMMException.h"

using namespace AffinityPlugin;

namespace {

torch::Tensor topologyTensor(const std::vector<int>& atomicNumbers, const torch::Device& device) {
    std::vector<int64_t> values(atomicNumbers.begin(), atomicNumbers.end());
    return torch::tensor(values, torch::kInt64).to(device);
}

torch::Tensor maskTensor(const std::vector<bool>& mask, const torch::Device& device) {
    torch::Tensor result = torch::zeros({(int64_t)mask.size()}, torch::kBool);
    auto accessor = result.accessor<bool, 1>();
    for (size_t i = 0; i < mask.size(); i++)
        accessor[i] = mask[i];
    return result.to(device);
}

} // namespace

ComplexTopology::ComplexTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask,
                                 const torch::Device& device)
    : hostNumbers(atomicNumbers), hostMask(ligandMask) {
    if (atomicNumbers.size() != ligandMask.size())
        throw OpenMM::OpenMMException("AffinityScorer: atomic numbers and ligand mask differ in length");
    numbers = topologyTensor(atomicNumbers, device);
    mask = maskTensor(ligandMask, device);
}
