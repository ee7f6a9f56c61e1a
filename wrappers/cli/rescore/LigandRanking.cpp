// SPDX-License-Identifier: MIT
#include "LigandRanking.h"
#include <algorithm>
#include <cmath>

using namespace AffinityRescore;
using namespace AffinityCli;

LigandRanking::LigandRanking(int size, const std::string& readoutName)
    : size((size_t)std::max(0, size)), readoutName(readoutName) {}

LigandRanking::Entry LigandRanking::entryOf(const ScoredLigand& scored) {
    const LigandPoses& ligand = *scored.ligand;
    Entry entry;
    entry.name = ligand.name;
    entry.poses = (int)ligand.poses.size();
    entry.bestPose = scored.rankOrder[0] + 1;
    entry.combined = scored.combinedDeltaG;
    entry.bestPoseDeltaG = scored.poseDeltaG[scored.rankOrder[0]];
    // The docking program's own best: the lowest score it gave any pose.
    entry.bestDockingScore = std::nan("");
    for (const PoseRecord& pose : ligand.poses)
        if (!std::isnan(pose.dockingScore) &&
            (std::isnan(entry.bestDockingScore) || pose.dockingScore < entry.bestDockingScore))
            entry.bestDockingScore = pose.dockingScore;
    entry.readout = scored.readout;
    return entry;
}

void LigandRanking::add(const Entry& entry) {
    if (size == 0 || (best.size() == size && entry.combined >= best.back().combined))
        return;
    auto at = std::upper_bound(best.begin(), best.end(), entry.combined,
                               [](double value, const Entry& e) { return value < e.combined; });
    best.insert(at, entry);
    if (best.size() > size)
        best.pop_back();
}

void LigandRanking::print(std::FILE* out) const {
    if (best.empty())
        return;
    size_t width = 6;
    for (const Entry& e : best)
        width = std::max(width, e.name.size());
    std::fprintf(out, "rank  %-*s  poses  dG (kcal/mol)  best pose  best-pose dG  docking score", (int)width, "ligand");
    if (!readoutName.empty())
        std::fprintf(out, "  %6s", readoutName.c_str());
    std::fprintf(out, "\n");
    for (size_t i = 0; i < best.size(); i++) {
        const Entry& e = best[i];
        std::fprintf(out, "%4zu  %-*s  %5d  %13.3f  %9d  %12.3f", i + 1, (int)width, e.name.c_str(), e.poses,
                     e.combined, e.bestPose, e.bestPoseDeltaG);
        if (std::isnan(e.bestDockingScore))
            std::fprintf(out, "  %13s", "-");
        else
            std::fprintf(out, "  %13.3f", e.bestDockingScore);
        if (!readoutName.empty())
            std::fprintf(out, "  %6.2f", e.readout);
        std::fprintf(out, "\n");
    }
}
