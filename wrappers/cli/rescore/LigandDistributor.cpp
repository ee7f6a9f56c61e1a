// SPDX-License-Identifier: MIT
#include "LigandDistributor.h"
#include <stdexcept>

using AffinityCli::LigandPoses;

namespace AffinityRescore {

LigandDistributor::LigandDistributor(const AffinityCli::ProcessGroup& g, int size, Evaluate e, Record r)
    : group(g), blockSize(size), evaluate(std::move(e)), record(std::move(r)) {}

void LigandDistributor::add(LigandPoses& ligand) {
    if (group.size() == 1) {
        record(ligand, evaluate(ligand));
        return;
    }
    block.push_back(ligand);
    if ((int)block.size() == blockSize)
        flush();
}

void LigandDistributor::flush() {
    if (group.size() == 1)
        return;
    // Every rank calls this at the same blocks (they read the same input), also when the last
    // block is empty, so that the gather is matched on every rank.
    const auto [first, last] = AffinityCli::shareOfRank((int)block.size(), group.rank(), group.size());
    std::vector<LigandEvaluation> mine;
    for (int i = first; i < last; i++)
        mine.push_back(evaluate(block[i]));
    const std::vector<std::string> shares = group.gatherToRoot(encodeEvaluations(mine));
    if (group.isRoot()) {
        std::vector<LigandEvaluation> evaluations;
        for (const std::string& share : shares)
            decodeEvaluations(share, evaluations);
        if (evaluations.size() != block.size())
            throw std::runtime_error("the ranks returned " + std::to_string(evaluations.size()) +
                                     " ligand results for " + std::to_string(block.size()) +
                                     " ligands; expected one per ligand");
        for (size_t i = 0; i < block.size(); i++)
            record(block[i], evaluations[i]);
    }
    block.clear();
}

} // namespace AffinityRescore
