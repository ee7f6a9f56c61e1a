// SPDX-License-Identifier: MIT
#include "ScoreWriter.h"
#include <cmath>
#include <cstdio>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

std::string jsonString(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (c < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
                out += escaped;
            } else {
                out += (char)c;
            }
        }
    }
    return out + "\"";
}

// JSON has no NaN: a missing number is null.
std::string jsonNumber(double value, const char* format = "%.6f") {
    if (!std::isfinite(value))
        return "null";
    char text[64];
    std::snprintf(text, sizeof(text), format, value);
    return text;
}

} // namespace

JsonSummaryWriter::JsonSummaryWriter(const std::string& path, const RunSettings& settings)
    : ScoreWriter(path), readoutName(readoutColumn(settings.readout)) {
    file.stream() << "{\n  \"tool\": \"affinity-rescore\",\n  \"settings\": {"
                  << "\n    \"model\": " << jsonString(settings.model)
                  << ",\n    \"model_description\": " << jsonString(settings.modelDescription)
                  << ",\n    \"receptor\": " << jsonString(settings.receptor)
                  << ",\n    \"combination\": " << jsonString(settings.combination)
                  << ",\n    \"temperature_K\": " << jsonNumber(settings.temperature, "%.6g")
                  << ",\n    \"max_scale\": " << jsonNumber(settings.maxScale, "%.6g")
                  << ",\n    \"pocket_cutoff_nm\": " << jsonNumber(settings.pocketCutoff, "%.6g")
                  << ",\n    \"device\": " << jsonString(settings.device)
                  << ",\n    \"readout\": " << jsonString(settings.readout)
                  << ",\n    \"atom_convention\": " << jsonString(settings.atomConvention)
                  << "\n  },\n  \"ligands\": [";
}

void JsonSummaryWriter::beginEntry() {
    file.stream() << (firstEntry ? "\n    {" : ",\n    {");
    firstEntry = false;
}

void JsonSummaryWriter::write(const ScoredLigand& scored) {
    const LigandPoses& ligand = *scored.ligand;
    std::ostream& out = file.stream();
    beginEntry();
    out << "\"name\": " << jsonString(ligand.name) << ", \"source\": " << jsonString(ligand.source)
        << ", \"status\": \"scored\", \"first_record\": " << ligand.firstRecord
        << ", \"poses\": " << ligand.poses.size() << ", \"ligand_atoms\": " << ligand.numLigandAtoms()
        << ", \"pocket_atoms\": " << scored.pocketAtoms
        << ", \"combined_dG_kcal_mol\": " << jsonNumber(scored.combinedDeltaG)
        << ", \"best_pose\": " << scored.rankOrder[0] + 1
        << ", \"best_pose_dG_kcal_mol\": " << jsonNumber(scored.poseDeltaG[scored.rankOrder[0]]);
    if (!readoutName.empty())
        out << ", \"" << readoutName << "\": " << jsonNumber(scored.readout, "%.4f");
    out << ", \"pose_dG_kcal_mol\": [";
    for (size_t n = 0; n < scored.poseDeltaG.size(); n++)
        out << (n ? ", " : "") << jsonNumber(scored.poseDeltaG[n]);
    out << "], \"weights\": [";
    for (size_t n = 0; n < scored.weights.size(); n++)
        out << (n ? ", " : "") << jsonNumber(scored.weights[n], "%.6g");
    out << "], \"flags\": " << jsonString(scored.domain.ligand) << ", \"pose_flags\": [";
    for (size_t n = 0; n < scored.domain.pose.size(); n++)
        out << (n ? ", " : "") << jsonString(scored.domain.pose[n]);
    out << "]}";
}

void JsonSummaryWriter::skip(const LigandPoses& ligand) {
    beginEntry();
    file.stream() << "\"name\": " << jsonString(ligand.name) << ", \"source\": " << jsonString(ligand.source)
                  << ", \"status\": \"skipped\", \"first_record\": " << ligand.firstRecord
                  << ", \"reason\": " << jsonString(ligand.problem) << "}";
}

void JsonSummaryWriter::finish(const RunTotals& totals) {
    file.stream() << (firstEntry ? "],\n" : "\n  ],\n") << "  \"totals\": {\"ligands_scored\": " << totals.ligandsScored
                  << ", \"poses_scored\": " << totals.posesScored << ", \"ligands_skipped\": " << totals.ligandsSkipped
                  << ", \"ligands_flagged\": " << totals.ligandsFlagged << "}\n}\n";
    file.commit();
}
