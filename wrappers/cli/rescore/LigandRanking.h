// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_LIGAND_RANKING_H_
#define AFFINITY_RESCORE_LIGAND_RANKING_H_

#include "ScoredLigand.h"
#include <cstdio>
#include <string>
#include <vector>

namespace AffinityRescore {

/**
 * The best-scoring ligands of a run (lowest combined ΔG), for the table printed at its end.
 * Only the best `size` are kept, so memory does not grow with the number of ligands.
 */
class LigandRanking {
public:
    /**
     * @param size         how many ligands the table shows
     * @param readoutName  the readout's column ("pKi", "pIC50"), or "" for none
     */
    LigandRanking(int size, const std::string& readoutName);

    /** What the table shows of a ligand. */
    struct Entry {
        std::string name;
        int poses = 0, bestPose = 0;
        double combined = 0.0, bestPoseDeltaG = 0.0, bestDockingScore = 0.0, readout = 0.0;
    };
    static Entry entryOf(const ScoredLigand& scored);
    void add(const Entry& entry);
    /** Print the table, best first. */
    void print(std::FILE* out) const;

private:
    size_t size;
    std::string readoutName;
    std::vector<Entry> best; // sorted by combined ΔG
};

} // namespace AffinityRescore

#endif
