// SPDX-License-Identifier: MIT
#include "RankShare.h"

using namespace AffinityPlugin;

namespace AffinityTrain {

RankShare::RankShare(const AffinityCli::ProcessGroup& g, int ligands) : group(g) {
    std::tie(begin, end) = AffinityCli::shareOfRank(ligands, group.rank(), group.size());
}

LigandSetScores RankShare::allScores(const std::vector<LigandTerm>& ligands, const LigandSetScores& mine,
                                     const Combination& combination) const {
    std::vector<size_t> offsets{0};
    for (const LigandTerm& term : ligands)
        offsets.push_back(offsets.back() + (size_t)term.poses->getNumPoses());
    std::vector<double> energies(offsets.back(), 0.0);
    for (int l = begin; l < end; l++)
        std::copy(mine.energies[l - begin].begin(), mine.energies[l - begin].end(), energies.begin() + offsets[l]);
    group.sumInPlace(energies);
    LigandSetScores all;
    for (size_t l = 0; l < ligands.size(); l++) {
        all.energies.emplace_back(energies.begin() + offsets[l], energies.begin() + offsets[l + 1]);
        all.combinations.push_back(combination.combine(all.energies.back(), ligands[l].scorer->getTemperature()));
    }
    return all;
}

void sumGradientsOverRanks(const AffinityCli::ProcessGroup& group,
                           const std::vector<std::pair<std::string, torch::Tensor>>& parameters) {
    if (group.size() == 1)
        return;
    std::vector<torch::Tensor> gradients;
    for (const auto& parameter : parameters)
        gradients.push_back(parameter.second.grad().reshape(-1));
    torch::Tensor flat = torch::cat(gradients).to(torch::kCPU, torch::kFloat64).contiguous();
    std::vector<double> buffer(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
    group.sumInPlace(buffer);
    flat = torch::from_blob(buffer.data(), {(int64_t)buffer.size()}, torch::kFloat64);
    int64_t offset = 0;
    for (const auto& parameter : parameters) {
        torch::Tensor grad = parameter.second.grad();
        grad.copy_(flat.narrow(0, offset, grad.numel()).view(grad.sizes()));
        offset += grad.numel();
    }
}

} // namespace AffinityTrain
