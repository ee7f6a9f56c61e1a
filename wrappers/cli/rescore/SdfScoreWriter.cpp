// SPDX-License-Identifier: MIT
#include "OutputNumber.h"
#include "ScoreWriter.h"
#include <algorithm>
#include <cctype>
#include <sstream>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

void dataItem(std::ostream& out, const char* name, const std::string& value) {
    out << ">  <" << name << ">\n" << value << "\n\n";
}

bool isBlank(const std::string& line) {
    return line.find_first_not_of(" \t\r") == std::string::npos;
}

/** The name in a data item's header ("> 25  <ID>  (1)"): from its first '<' to its last '>', as Open Babel reads it. */
std::string dataItemName(const std::string& header) {
    const size_t open = header.find('<'), close = header.find_last_of('>');
    return open == std::string::npos || close == std::string::npos || close <= open
               ? ""
               : header.substr(open + 1, close - open - 1);
}

/**
 * A record's SDF block with the data items the input carried under the names this tool writes
 * left out (an earlier run's output rescored: they would otherwise appear twice, the earlier
 * value beside this run's), and ending in a blank line, so that the tags added after it start
 * items of their own even where the input's last value ran up to its "$$$$".
 */
std::string carriedBlock(const std::string& block, const std::vector<std::string>& ours) {
    size_t end = block.find("\nM  END");
    end = end == std::string::npos ? std::string::npos : block.find('\n', end + 1);
    if (end == std::string::npos)
        return block;
    std::string kept = block.substr(0, end + 1);
    std::istringstream lines(block.substr(end + 1));
    std::string line;
    bool inItem = false, dropping = false, lastBlank = true;
    while (std::getline(lines, line)) {
        if (!inItem && !line.empty() && line[0] == '>') {
            inItem = true;
            dropping = std::find(ours.begin(), ours.end(), dataItemName(line)) != ours.end();
        } else if (inItem && isBlank(line)) {
            inItem = false;
            if (dropping) {
                dropping = false;
                continue;
            }
        }
        if (dropping)
            continue;
        kept += line + "\n";
        lastBlank = isBlank(line);
    }
    if (!lastBlank)
        kept += "\n";
    return kept;
}

} // namespace

namespace {

/**
 * The block with the ligand's name as its title where the record had none (a PDBQT pose of Vina's,
 * or an SDF record named after its file): the scored SDF can then be read back, as its records'
 * titles group them into the same ligands again.
 */
std::string withTitle(const std::string& sdfBlock, const std::string& name) {
    const size_t end = sdfBlock.find('\n');
    if (end == std::string::npos || sdfBlock.find_first_not_of(" \t\r") < end)
        return sdfBlock;
    return name + sdfBlock.substr(end);
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

const std::vector<std::string>& AffinityRescore::sdfTagsWritten() {
    static const std::vector<std::string> names = {
        "affinity_dG_kcal_mol", "affinity_weight", "affinity_combined_dG_kcal_mol",
        "affinity_rank",        "affinity_pose",   DockingScoreTag,
        "affinity_pKi",         "affinity_pIC50",  "affinity_flags"};
    return names;
}

SdfScoreWriter::SdfScoreWriter(const std::string& path, const std::string& readout)
    : ScoreWriter(path, "--out-sdf"), readoutName(readoutColumn(readout)) {}

std::string SdfScoreWriter::entryFor(const ScoredLigand& scored) const {
    const LigandPoses& ligand = *scored.ligand;
    std::ostringstream out;
    const std::string combined = numberText(scored.combinedDeltaG, EnergyPrecision);
    // Each block is the record's molfile with the data items the input carried (PoseReader);
    // ours follow them, before the "$$$$" that ends the record. Numbers as OutputNumber prints
    // them, the CSV and the JSON alike.
    for (int n : scored.rankOrder) {
        out << carriedBlock(withTitle(withoutWriteTime(ligand.poses[n].sdfBlock), ligand.name), sdfTagsWritten());
        dataItem(out, "affinity_dG_kcal_mol", numberText(scored.poseDeltaG[n], EnergyPrecision));
        dataItem(out, "affinity_weight", numberText(scored.weights[n], WeightPrecision));
        dataItem(out, "affinity_combined_dG_kcal_mol", combined);
        dataItem(out, "affinity_rank", std::to_string(scored.ranks[n]));
        dataItem(out, "affinity_pose", std::to_string(n + 1));
        const std::string dockingScore = numberText(ligand.poses[n].dockingScore, ExactNumber);
        if (!dockingScore.empty())
            dataItem(out, DockingScoreTag, dockingScore);
        if (!readoutName.empty())
            dataItem(out, ("affinity_" + readoutName).c_str(), numberText(scored.readout, ReadoutPrecision));
        if (!scored.domain.pose[n].empty())
            dataItem(out, "affinity_flags", scored.domain.pose[n]);
        out << "$$$$\n";
    }
    return out.str();
}
