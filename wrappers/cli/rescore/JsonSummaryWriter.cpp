// SPDX-License-Identifier: MIT
#include "ScoreWriter.h"
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

using namespace AffinityRescore;
using namespace AffinityCli;
using Json = nlohmann::ordered_json; // fields in the order written, as the summary has always had them

namespace {

// The value as printed with format, read back: the summary gives as many digits as the CSV.
// JSON has no NaN: a missing number is null.
Json number(double value, const char* format = "%.6f") {
    if (!std::isfinite(value))
        return nullptr;
    char text[64];
    std::snprintf(text, sizeof(text), format, value);
    return std::strtod(text, nullptr);
}

// Titles, file names and Open Babel's messages are bytes; what is not UTF-8 in them becomes
// U+FFFD, so that the file is always valid UTF-8 (and valid JSON).
std::string text(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace

JsonSummaryWriter::JsonSummaryWriter(const std::string& path, const RunSettings& settings)
    : ScoreWriter(path, "--json"), readoutName(readoutColumn(settings.readout)) {
    Json described = {{"model", settings.model},
                      {"model_description", settings.modelDescription},
                      {"receptor", settings.receptor},
                      {"combination", settings.combination},
                      {"temperature_K", number(settings.temperature, "%.6g")},
                      {"max_scale", number(settings.maxScale, "%.6g")},
                      {"pocket_cutoff_nm", number(settings.pocketCutoff, "%.6g")},
                      {"device", settings.device},
                      {"readout", settings.readout},
                      {"atom_convention", settings.atomConvention}};
    file.stream() << "{\n  \"tool\": \"affinity-rescore\",\n  \"settings\": " << text(described)
                  << ",\n  \"ligands\": [";
}

std::string JsonSummaryWriter::entryFor(const ScoredLigand& scored) const {
    const LigandPoses& ligand = *scored.ligand;
    Json entry = {{"name", ligand.name},
                  {"source", ligand.source},
                  {"status", "scored"},
                  {"first_record", ligand.firstRecord},
                  {"poses", ligand.poses.size()},
                  {"ligand_atoms", ligand.numLigandAtoms()},
                  {"pocket_atoms", scored.pocketAtoms},
                  {"combined_dG_kcal_mol", number(scored.combinedDeltaG)},
                  {"best_pose", scored.rankOrder[0] + 1},
                  {"best_pose_dG_kcal_mol", number(scored.poseDeltaG[scored.rankOrder[0]])}};
    if (!readoutName.empty())
        entry[readoutName] = number(scored.readout, "%.4f");
    Json poses = Json::array(), weights = Json::array(), flags = Json::array();
    for (double g : scored.poseDeltaG)
        poses.push_back(number(g));
    for (double w : scored.weights)
        weights.push_back(number(w, "%.6g"));
    for (const std::string& flag : scored.domain.pose)
        flags.push_back(flag);
    entry["pose_dG_kcal_mol"] = poses;
    entry["weights"] = weights;
    entry["flags"] = scored.domain.ligand;
    entry["pose_flags"] = flags;
    return text(entry);
}

std::string JsonSummaryWriter::entryForSkipped(const LigandPoses& ligand) const {
    return text(Json{{"name", ligand.name},
                     {"source", ligand.source},
                     {"status", "skipped"},
                     {"first_record", ligand.firstRecord},
                     {"reason", ligand.problem}});
}

void JsonSummaryWriter::append(const std::string& entry) {
    file.stream() << (firstEntry ? "\n    " : ",\n    ") << entry;
    firstEntry = false;
}

void JsonSummaryWriter::writeEnd(const RunTotals& totals) {
    const Json counts = {{"ligands_scored", totals.ligandsScored},
                         {"poses_scored", totals.posesScored},
                         {"ligands_skipped", totals.ligandsSkipped},
                         {"ligands_flagged", totals.ligandsFlagged}};
    file.stream() << (firstEntry ? "],\n" : "\n  ],\n") << "  \"totals\": " << text(counts) << "\n}\n";
}
