// SPDX-License-Identifier: MIT
#include "ScoreWriter.h"
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

void dataItem(std::ostream& out, const char* name, const std::string& value) {
    out << ">  <" << name << ">\n" << value << "\n\n";
}

std::string number(const char* format, double value) {
    char text[64];
    std::snprintf(text, sizeof(text), format, value);
    return text;
}

} // namespace

std::string AffinityRescore::withoutWriteTime(const std::string& sdfBlock) {
    const size_t lineStart = sdfBlock.find('\n');
    if (lineStart == std::string::npos)
        return sdfBlock;
    const size_t lineEnd = sdfBlock.find('\n', lineStart + 1);
    const std::string line =
        sdfBlock.substr(lineStart + 1, lineEnd == std::string::npos ? std::string::npos : lineEnd - lineStart - 1);
    constexpr size_t TimeColumn = 10, TimeWidth = 10;
    if (line.size() < TimeColumn + TimeWidth)
        return sdfBlock;
    for (size_t i = TimeColumn; i < TimeColumn + TimeWidth; i++)
        if (!std::isdigit((unsigned char)line[i]))
            return sdfBlock;
    std::string stable = sdfBlock;
    stable.replace(lineStart + 1 + TimeColumn, TimeWidth, std::string(TimeWidth, ' '));
    return stable;
}

SdfScoreWriter::SdfScoreWriter(const std::string& path, const std::string& readout)
    : ScoreWriter(path, "--out-sdf"), readoutName(readoutColumn(readout)) {}

std::string SdfScoreWriter::entryFor(const ScoredLigand& scored) const {
    const LigandPoses& ligand = *scored.ligand;
    std::ostringstream out;
    const std::string combined = number("%.6f", scored.combinedDeltaG);
    // Each block is Open Babel's SDF of the record, with the data items the input carried;
    // ours follow them, before the "$$$$" that ends the record.
    for (int n : scored.rankOrder) {
        out << withoutWriteTime(ligand.poses[n].sdfBlock);
        dataItem(out, "affinity_dG_kcal_mol", number("%.6f", scored.poseDeltaG[n]));
        dataItem(out, "affinity_weight", number("%.6g", scored.weights[n]));
        dataItem(out, "affinity_combined_dG_kcal_mol", combined);
        dataItem(out, "affinity_rank", std::to_string(scored.ranks[n]));
        dataItem(out, "affinity_pose", std::to_string(n + 1));
        if (!readoutName.empty())
            dataItem(out, ("affinity_" + readoutName).c_str(), number("%.4f", scored.readout));
        if (!scored.domain.pose[n].empty())
            dataItem(out, "affinity_flags", scored.domain.pose[n]);
        out << "$$$$\n";
    }
    return out.str();
}
