// SPDX-License-Identifier: MIT
#include "CsvTable.h"
#include "OutputNumber.h"
#include "ScoreWriter.h"
#include <sstream>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

// RFC 4180 quoting, as CsvTable (which affinity-train reads tables with) reads it back.
std::string csvField(const std::string& text) {
    return CsvTable::quoted(text);
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
    // Numbers as OutputNumber prints them (the SDF and the JSON alike); a missing one is an empty field.
    const std::string combined = numberText(scored.combinedDeltaG, EnergyPrecision);
    const std::string readout = readoutName.empty() ? "" : "," + numberText(scored.readout, ReadoutPrecision);
    std::ostringstream rows;
    for (size_t n = 0; n < ligand.poses.size(); n++)
        rows << prefix << n + 1 << "," << numberText(scored.poseDeltaG[n], EnergyPrecision) << ","
             << numberText(scored.weights[n], WeightPrecision) << "," << combined << "," << scored.ranks[n] << ","
             << numberText(ligand.poses[n].dockingScore, ExactNumber) << readout << "," << scored.domain.pose[n]
             << "\n";
    return rows.str();
}
