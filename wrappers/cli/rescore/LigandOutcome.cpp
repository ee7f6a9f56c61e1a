// SPDX-License-Identifier: MIT
#include "LigandOutcome.h"
#include "ContentDigest.h"
#include "ScoreWriter.h"
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

// Doubles in hexadecimal, so that they come back bit for bit.
std::string exact(double value) {
    char text[64];
    std::snprintf(text, sizeof(text), "%a", value);
    return text;
}

} // namespace

std::string LigandOutcome::digestOf(const LigandPoses& ligand) {
    ContentDigest digest;
    digest.add(ligand.name);
    digest.add(ligand.source);
    digest.add(std::to_string(ligand.firstRecord));
    digest.add(ligand.problem);
    for (const PoseRecord& pose : ligand.poses) {
        digest.add(pose.atomicNumbers.data(), pose.atomicNumbers.size() * sizeof(int));
        digest.add(pose.positions.data(), pose.positions.size() * sizeof(double));
        digest.add(&pose.dockingScore, sizeof(double));
        digest.add(withoutWriteTime(pose.sdfBlock)); // as written: Open Babel's time stamp is no part of the pose
        digest.add(pose.problem);
    }
    return digest.hex();
}

std::vector<std::string> LigandOutcome::toFields() const {
    std::vector<std::string> fields = {inputDigest,
                                       name,
                                       source,
                                       std::to_string(firstRecord),
                                       scored ? "scored" : "skipped",
                                       flagged ? "1" : "0",
                                       std::to_string(poses),
                                       ranking.name,
                                       std::to_string(ranking.poses),
                                       std::to_string(ranking.bestPose),
                                       exact(ranking.combined),
                                       exact(ranking.bestPoseDeltaG),
                                       exact(ranking.bestDockingScore),
                                       exact(ranking.readout)};
    fields.insert(fields.end(), entries.begin(), entries.end());
    return fields;
}

LigandOutcome LigandOutcome::fromFields(const std::vector<std::string>& fields) {
    constexpr size_t Fixed = 14;
    if (fields.size() < Fixed)
        throw std::runtime_error("an entry has " + std::to_string(fields.size()) + " fields; expected at least " +
                                 std::to_string(Fixed));
    LigandOutcome outcome;
    outcome.inputDigest = fields[0];
    outcome.name = fields[1];
    outcome.source = fields[2];
    outcome.firstRecord = std::atoi(fields[3].c_str());
    outcome.scored = fields[4] == "scored";
    outcome.flagged = fields[5] == "1";
    outcome.poses = std::atoll(fields[6].c_str());
    outcome.ranking.name = fields[7];
    outcome.ranking.poses = std::atoi(fields[8].c_str());
    outcome.ranking.bestPose = std::atoi(fields[9].c_str());
    outcome.ranking.combined = std::strtod(fields[10].c_str(), nullptr);
    outcome.ranking.bestPoseDeltaG = std::strtod(fields[11].c_str(), nullptr);
    outcome.ranking.bestDockingScore = std::strtod(fields[12].c_str(), nullptr);
    outcome.ranking.readout = std::strtod(fields[13].c_str(), nullptr);
    outcome.entries.assign(fields.begin() + Fixed, fields.end());
    return outcome;
}
