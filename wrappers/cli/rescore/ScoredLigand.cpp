// SPDX-License-Identifier: MIT
#include "ScoredLigand.h"
#include "AffinityUnits.h"
#include <algorithm>
#include <cmath>
#include <numeric>

using namespace AffinityRescore;
using namespace AffinityCli;
using namespace AffinityPlugin;

ScoredLigand ScoredLigand::combine(const LigandPoses& ligand, int pocketAtoms, const std::vector<double>& energiesKJ,
                                   const Combination& combination, double temperature, const Readout& readout) {
    ScoredLigand scored;
    scored.ligand = &ligand;
    scored.pocketAtoms = pocketAtoms;
    const CombinationResult combined = combination.combine(energiesKJ, temperature);
    for (double g : energiesKJ)
        scored.poseDeltaG.push_back(g / KJPerKcal);
    scored.weights = combined.weights;
    scored.combinedDeltaG = combined.deltaG / KJPerKcal;
    scored.rankOrder.resize(energiesKJ.size());
    std::iota(scored.rankOrder.begin(), scored.rankOrder.end(), 0);
    std::stable_sort(scored.rankOrder.begin(), scored.rankOrder.end(),
                     [&](int a, int b) { return energiesKJ[a] < energiesKJ[b]; });
    scored.ranks.resize(energiesKJ.size());
    for (size_t r = 0; r < scored.rankOrder.size(); r++)
        scored.ranks[scored.rankOrder[r]] = (int)r + 1;
    scored.readout = readout.getKind() == Readout::None
                         ? std::nan("")
                         : readout.apply(combined.deltaG, betaForTemperature(temperature));
    return scored;
}
