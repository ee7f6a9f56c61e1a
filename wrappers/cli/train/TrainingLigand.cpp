// SPDX-License-Identifier: MIT
#include "TrainingLigand.h"
#include "ComplexCache.h"
#include "LigandPoses.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "PoseReader.h"
#include "Receptor.h"
#include "ScoringOptions.h"
#include "openmm/OpenMMException.h"
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

using OpenMM::OpenMMException;
namespace fs = std::filesystem;
using namespace AffinityCli;

namespace AffinityTrain {

namespace {

// The pose file formats, in the order they are looked for (each also gzip-compressed).
const char* const PoseExtensions[] = {".pdbqt", ".sdf", ".mol2"};

/** The ligand name a pose file stands for ("lig.pdbqt.gz" → "lig"), or "" when it is not a pose file. */
std::string poseFileLigand(const fs::path& file) {
    std::string name = file.filename().string();
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0)
        name.resize(name.size() - 3);
    for (const std::string extension : PoseExtensions)
        if (name.size() > extension.size() &&
            name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
            return name.substr(0, name.size() - extension.size());
    return "";
}

/** The file of a ligand among those a pattern matched: <ligand>.{pdbqt,sdf,mol2}[.gz], the first there, or "". */
std::string findMatchedPoseFile(const std::vector<std::string>& files, const std::string& ligand) {
    for (const std::string extension : PoseExtensions)
        for (const char* gz : {"", ".gz"})
            for (const std::string& file : files)
                if (fs::path(file).filename().string() == ligand + extension + gz)
                    return file;
    return "";
}

/** DIRECTORY/<ligand>.{pdbqt,sdf,mol2}[.gz], the first that exists, or "" for none. */
std::string findPoseFile(const fs::path& directory, const std::string& ligand) {
    for (const std::string extension : PoseExtensions)
        for (const char* gz : {"", ".gz"}) {
            fs::path file = directory / (ligand + extension + gz);
            if (fs::is_regular_file(file))
                return file.string();
        }
    return "";
}

std::string recordText(const LigandPoses& group) {
    return group.firstRecord > 0 ? " (record " + std::to_string(group.firstRecord) + " on)" : "";
}

/** Every record of a pose file, as the poses of one ligand (whatever the records' titles). */
LigandPoses readAllPoses(const std::string& file, AtomConvention convention) {
    PoseReaderSettings settings;
    settings.convention = convention;
    settings.grouping = LigandGrouping::WholeFile;
    PoseReader reader(file, settings);
    LigandPoses all, group;
    while (reader.next(group)) {
        if (!group.problem.empty())
            throw OpenMMException("affinity-train: " + file + recordText(group) + ": " + group.problem);
        if (all.poses.empty()) {
            all.name = group.name;
            all.source = file;
            all.firstRecord = 1;
        }
        for (PoseRecord& pose : group.poses)
            all.poses.push_back(std::move(pose));
    }
    if (all.poses.empty())
        throw OpenMMException("affinity-train: " + file + " holds no poses");
    const std::string mismatch = all.topologyMismatch();
    if (!mismatch.empty())
        throw OpenMMException("affinity-train: " + file + ": " + mismatch);
    return all;
}

/** A receptor and its pocket selector, read once however many ligands use it. */
struct ReceptorPocket {
    Receptor receptor;
    std::unique_ptr<PocketSelector> selector;

    ReceptorPocket(const std::string& file, const ComplexSettings& settings) {
        try {
            receptor = Receptor::read(file, settings.convention);
        } catch (const std::runtime_error& e) {
            throw OpenMMException("affinity-train: " + std::string(e.what()));
        }
        selector = std::make_unique<PocketSelector>(receptor, settings.pocketCutoff);
    }

    /** The ligand's complexes; a receptor-less ReceptorPocket is never made (see below). */
    PoseFileLigand build(const LigandPoses& poses, double pocketCutoff) const {
        const std::vector<int> pocket = selector->select(poses);
        if (pocket.empty())
            throw OpenMMException("affinity-train: no receptor atom of " + receptor.source + " lies within " +
                                  AffinityCli::shortNumber(pocketCutoff) + " nm of the poses of '" + poses.name +
                                  "' in " + poses.source + "; expected poses docked into the receptor");
        PoseFileLigand ligand(pocketComplexPoses(receptor, pocket, poses));
        ligand.title = poses.name;
        ligand.firstRecord = poses.firstRecord;
        ligand.pocketAtoms = (int)pocket.size();
        for (const PoseRecord& pose : poses.poses)
            ligand.dockingScores.push_back(pose.dockingScore);
        return ligand;
    }
};

TrainingLigand trainingLigand(const LigandTarget& target, PoseFileLigand&& built) {
    TrainingLigand ligand{target.displayName(),           std::move(built.poses), target.value,
                          std::move(built.dockingScores), built.pocketAtoms,      target};
    return ligand;
}

std::string settingsKey(const ComplexSettings& settings) {
    char cutoff[64];
    std::snprintf(cutoff, sizeof(cutoff), "%.17g", settings.pocketCutoff);
    // The ligand tag only when one is named, so that caches built before the option existed stay valid.
    return "atoms=" + atomConventionName(settings.convention) + "\npocket_cutoff_nm=" + cutoff +
           (settings.ligandTag.empty() ? "" : "\nligand_tag=" + settings.ligandTag);
}

} // namespace

std::vector<TrainingLigand> loadTrainingLigands(const std::string& poseDirectory,
                                                const std::vector<std::string>& matchedFiles,
                                                const std::string& receptorFile,
                                                const std::vector<LigandTarget>& targets,
                                                const ComplexSettings& settings, std::ostream& notes) {
    const bool matched = !matchedFiles.empty();
    if (!matched && !fs::is_directory(poseDirectory))
        throw OpenMMException("affinity-train: the pose directory " + poseDirectory + " does not exist");
    std::unique_ptr<ReceptorPocket> receptor;
    if (!receptorFile.empty())
        receptor = std::make_unique<ReceptorPocket>(receptorFile, settings);
    std::vector<TrainingLigand> ligands;
    std::set<std::string> named;
    for (const LigandTarget& target : targets) {
        const std::string file =
            matched ? findMatchedPoseFile(matchedFiles, target.ligand) : findPoseFile(poseDirectory, target.ligand);
        if (file.empty() && matched)
            throw OpenMMException("affinity-train: the targets file's line " + std::to_string(target.line) +
                                  " names ligand '" + target.ligand + "', which has no pose file among the " +
                                  std::to_string(matchedFiles.size()) + " that --poses '" + poseDirectory +
                                  "' matches; expected " + target.ligand + ".pdbqt (or .sdf, .mol2; optionally .gz)");
        if (file.empty())
            throw OpenMMException("affinity-train: the targets file's line " + std::to_string(target.line) +
                                  " names ligand '" + target.ligand + "', which has no pose file; expected " +
                                  (fs::path(poseDirectory) / (target.ligand + ".pdbqt")).string() +
                                  " (or .sdf, .mol2; optionally .gz)");
        const LigandPoses poses = readAllPoses(file, settings.convention);
        if (receptor) {
            ligands.push_back(trainingLigand(target, receptor->build(poses, settings.pocketCutoff)));
        } else {
            PoseFileLigand alone(pocketComplexPoses(Receptor(), {}, poses));
            for (const PoseRecord& pose : poses.poses)
                alone.dockingScores.push_back(pose.dockingScore);
            ligands.push_back(trainingLigand(target, std::move(alone)));
        }
        named.insert(target.ligand);
    }
    if (matched) {
        for (const std::string& file : matchedFiles) {
            const std::string ligand = poseFileLigand(file);
            if (ligand.empty() || !named.count(ligand))
                notes << "affinity-train: note: " << file << " has no target and is not used\n";
        }
        return ligands;
    }
    for (const auto& entry : fs::directory_iterator(poseDirectory)) {
        const std::string ligand = poseFileLigand(entry.path());
        if (!ligand.empty() && entry.is_regular_file() && !named.count(ligand))
            notes << "affinity-train: note: " << entry.path().string() << " has no target and is not used\n";
    }
    return ligands;
}

std::vector<TrainingLigand> loadManifestLigands(const std::vector<LigandTarget>& targets,
                                                const ComplexSettings& settings, std::ostream& notes) {
    // The manifest's rows by (receptor, pose file), in the order they first appear.
    std::vector<std::pair<std::string, std::string>> files;
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> rows;
    for (size_t i = 0; i < targets.size(); i++) {
        const auto key = std::make_pair(targets[i].receptor, targets[i].poses);
        if (!rows.count(key))
            files.push_back(key);
        rows[key].push_back(i);
    }
    ComplexCache cache(settings.cacheDirectory);
    std::map<std::string, std::unique_ptr<ReceptorPocket>> receptors;
    std::vector<std::optional<TrainingLigand>> found(targets.size());
    for (const auto& [receptorFile, posesFile] : files) {
        const std::vector<size_t>& wanted = rows[{receptorFile, posesFile}];
        std::vector<PoseFileLigand> built = cache.complexes(
            receptorFile, posesFile, settingsKey(settings),
            [&, &receptorFile = receptorFile, &posesFile = posesFile]() {
                std::unique_ptr<ReceptorPocket>& receptor = receptors[receptorFile];
                if (!receptor)
                    receptor = std::make_unique<ReceptorPocket>(receptorFile, settings);
                std::vector<PoseFileLigand> result;
                std::set<std::string> titles;
                PoseReaderSettings reading;
                reading.convention = settings.convention;
                reading.grouping = settings.ligandTag.empty() ? LigandGrouping::Title : LigandGrouping::Tag;
                reading.ligandTag = settings.ligandTag;
                PoseReader reader(posesFile, reading);
                LigandPoses group;
                while (reader.next(group)) {
                    if (!group.problem.empty())
                        throw OpenMMException("affinity-train: " + posesFile + recordText(group) + ", ligand '" +
                                              group.name + "': " + group.problem);
                    if (!titles.insert(group.name).second)
                        throw OpenMMException("affinity-train: " + posesFile + " (record " +
                                              std::to_string(group.firstRecord) + "): the " +
                                              (settings.ligandTag.empty() ? "title" : "ligand tag's value") + " '" +
                                              group.name +
                                              "' appears again after other ligands; expected the poses of a ligand "
                                              "as consecutive records");
                    result.push_back(receptor->build(group, settings.pocketCutoff));
                }
                return result;
            },
            notes);
        std::map<std::string, size_t> byTitle;
        for (size_t b = 0; b < built.size(); b++)
            byTitle[built[b].title] = b;
        for (size_t i : wanted) {
            const auto match = byTitle.find(targets[i].ligand);
            if (match == byTitle.end())
                throw OpenMMException("affinity-train: the manifest's line " + std::to_string(targets[i].line) +
                                      " names ligand '" + targets[i].ligand + "', but " + posesFile +
                                      " holds no records with that " +
                                      (settings.ligandTag.empty() ? std::string("title")
                                                                  : "value of the tag '" + settings.ligandTag + "'"));
            found[i] = trainingLigand(targets[i], PoseFileLigand(built[match->second]));
        }
    }
    std::vector<TrainingLigand> ligands;
    for (std::optional<TrainingLigand>& ligand : found)
        ligands.push_back(std::move(*ligand));
    return ligands;
}

} // namespace AffinityTrain
