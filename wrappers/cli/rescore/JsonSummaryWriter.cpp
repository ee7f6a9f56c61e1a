// SPDX-License-Identifier: MIT
#include "AffinityVersion.h"
#include "OutputNumber.h"
#include "ScoreWriter.h"
#include <nlohmann/json.hpp>
#include <variant>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

// Titles, file names and Open Babel's messages are bytes; what is not UTF-8 in them becomes
// U+FFFD, so that the file is always valid UTF-8 (and valid JSON).
std::string jsonString(const std::string& value) {
    return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A number as OutputNumber prints it (the CSV's and the SDF's text); JSON has no NaN: null.
std::string jsonNumber(double value, NumberPrecision precision) {
    const std::string text = numberText(value, precision);
    return text.empty() ? "null" : text;
}

/**
 * A JSON object written member by member, in the order added, on one line: strings through
 * nlohmann/json (escaped, and valid UTF-8), numbers through OutputNumber, so that the summary's
 * numbers are the very text of the CSV's and the SDF's.
 */
class JsonObject {
public:
    JsonObject& text(const std::string& key, const std::string& value) {
        return member(key, jsonString(value));
    }
    JsonObject& number(const std::string& key, double value, NumberPrecision precision) {
        return member(key, jsonNumber(value, precision));
    }
    JsonObject& integer(const std::string& key, long long value) {
        return member(key, std::to_string(value));
    }
    JsonObject& numbers(const std::string& key, const std::vector<double>& values, NumberPrecision precision) {
        std::vector<std::string> items;
        for (double value : values)
            items.push_back(jsonNumber(value, precision));
        return member(key, array(items));
    }
    JsonObject& texts(const std::string& key, const std::vector<std::string>& values) {
        std::vector<std::string> items;
        for (const std::string& value : values)
            items.push_back(jsonString(value));
        return member(key, array(items));
    }
    /** A member whose value is JSON text already (an object or array made here). */
    JsonObject& member(const std::string& key, const std::string& json) {
        body += (body.empty() ? "" : ",") + jsonString(key) + ":" + json;
        return *this;
    }
    std::string str() const {
        return "{" + body + "}";
    }
    static std::string array(const std::vector<std::string>& items) {
        std::string text = "[";
        for (size_t i = 0; i < items.size(); i++)
            text += (i ? "," : "") + items[i];
        return text + "]";
    }

private:
    std::string body;
};

/** An option's value as JSON: text, a list of texts, a number (exact: as the run took it), an integer or a switch. */
std::string optionJson(const OptionSetting& option) {
    struct Visitor {
        std::string operator()(const std::string& s) const {
            return jsonString(s);
        }
        std::string operator()(const std::vector<std::string>& list) const {
            std::vector<std::string> items;
            for (const std::string& s : list)
                items.push_back(jsonString(s));
            return JsonObject::array(items);
        }
        std::string operator()(double d) const {
            return jsonNumber(d, ExactNumber);
        }
        std::string operator()(int i) const {
            return std::to_string(i);
        }
        std::string operator()(bool b) const {
            return b ? "true" : "false";
        }
    };
    return std::visit(Visitor(), option.value);
}

} // namespace

JsonSummaryWriter::JsonSummaryWriter(const std::string& path, const RunSettings& settings)
    : ScoreWriter(path, "--json"), readoutName(readoutColumn(settings.readout)) {
    JsonObject options;
    std::vector<std::string> defaulted;
    for (const OptionSetting& option : settings.options) {
        options.member(option.name, optionJson(option));
        if (option.defaulted)
            defaulted.push_back(option.name);
    }
    JsonObject described;
    described.text("model", settings.model)
        .text("model_sha256", settings.modelSha256)
        .text("model_description", settings.modelDescription)
        .text("receptor", settings.receptor)
        .text("combination", settings.combination)
        .number("temperature_K", settings.temperature, ExactNumber)
        .number("max_scale", settings.maxScale, ExactNumber)
        .number("pocket_cutoff_nm", settings.pocketCutoff, ExactNumber)
        .text("device", settings.device)
        .text("readout", settings.readout)
        .text("atom_convention", settings.atomConvention)
        .member("options", options.str())
        .texts("options_defaulted", defaulted);
    file.stream() << "{\n  \"tool\": \"affinity-rescore\",\n  \"version\": "
                  << jsonString(AffinityPlugin::versionString()) << ",\n  \"settings\": " << described.str()
                  << ",\n  \"ligands\": [";
}

std::string JsonSummaryWriter::entryFor(const ScoredLigand& scored) const {
    const LigandPoses& ligand = *scored.ligand;
    const int best = scored.rankOrder[0];
    JsonObject entry;
    entry.text("name", ligand.name)
        .text("source", ligand.source)
        .text("status", "scored")
        .integer("first_record", ligand.firstRecord)
        .integer("poses", (long long)ligand.poses.size())
        .integer("ligand_atoms", ligand.numLigandAtoms())
        .integer("pocket_atoms", scored.pocketAtoms)
        .number("combined_dG_kcal_mol", scored.combinedDeltaG, EnergyPrecision)
        .integer("best_pose", best + 1)
        .number("best_pose_dG_kcal_mol", scored.poseDeltaG[best], EnergyPrecision);
    if (!readoutName.empty())
        entry.number(readoutName, scored.readout, ReadoutPrecision);
    std::vector<double> dockingScores;
    for (const PoseRecord& pose : ligand.poses)
        dockingScores.push_back(pose.dockingScore);
    entry.numbers("pose_dG_kcal_mol", scored.poseDeltaG, EnergyPrecision)
        .numbers("weights", scored.weights, WeightPrecision)
        .numbers("pose_docking_score_kcal_mol", dockingScores, ExactNumber)
        .text("flags", scored.domain.ligand)
        .texts("pose_flags", scored.domain.pose);
    return entry.str();
}

std::string JsonSummaryWriter::entryForSkipped(const LigandPoses& ligand) const {
    return JsonObject()
        .text("name", ligand.name)
        .text("source", ligand.source)
        .text("status", "skipped")
        .integer("first_record", ligand.firstRecord)
        .text("reason", ligand.problem)
        .str();
}

void JsonSummaryWriter::append(const std::string& entry) {
    file.stream() << (firstEntry ? "\n    " : ",\n    ") << entry;
    firstEntry = false;
}

void JsonSummaryWriter::writeEnd(const RunTotals& totals) {
    const std::string counts = JsonObject()
                                   .integer("ligands_scored", totals.ligandsScored)
                                   .integer("poses_scored", totals.posesScored)
                                   .integer("ligands_skipped", totals.ligandsSkipped)
                                   .integer("ligands_flagged", totals.ligandsFlagged)
                                   .str();
    file.stream() << (firstEntry ? "],\n" : "\n  ],\n") << "  \"totals\": " << counts << "\n}\n";
}
