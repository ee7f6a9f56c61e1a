// SPDX-License-Identifier: MIT
#include "CsvTable.h"
#include "ScoreWriter.h"
#include <cmath>
#include <cstdio>
#include <sstream>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

// RFC 4180 quoting, as CsvTable (which affinity-train reads tables with) reads it back.
std::string csvField(const std::string& text) {
    return CsvTable::quoted(text);
}

std::string number(const char* format, double value) {
    if (std::isnan(value))
        return "";
    char text[64];
    std::snprintf(text, sizeof(text), format, value);
    return text;
}

} // namespace

std::string AffinityRescore::readoutColumn(const std::string& readout) {
    if (readout == "pki")
        return "pKi";
    if (readout == "pic50")
        return "pIC50";
    return "";
}

CsvScoreWriter::CsvScoreWriter(const std::string& path, const std::string& readout)
    : ScoreWriter(path, "--out"), readoutName(readoutColumn(readout)) {
    file.stream() << "ligand,source,pose,dG_kcal_mol,weight,combined_dG_kcal_mol,rank,docking_score_kcal_mol"
                  << (readoutName.empty() ? "" : "," + readoutName) << ",flags\n";
}

std::string CsvScoreWriter::entryFor(const ScoredLigand& scored) const {
    const LigandPoses& ligand = *scored.ligand;
    const std::string prefix = csvField(ligand.name) + "," + csvField(ligand.source) + ",";
    const std::string combined = number("%.6f", scored.combinedDeltaG);
    const std::string readout = readoutName.empty() ? "" : "," + number("%.4f", scored.readout);
    std::ostringstream rows;
    for (size_t n = 0; n < ligand.poses.size(); n++)
        rows << prefix << n + 1 << "," << number("%.6f", scored.poseDeltaG[n]) << ","
             << number("%.6g", scored.weights[n]) << "," << combined << "," << scored.ranks[n] << ","
             << number("%.3f", ligand.poses[n].dockingScore) << readout << "," << scored.domain.pose[n] << "\n";
    return rows.str();
}
