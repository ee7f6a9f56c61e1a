#include "TrainingLigand.h"
#include "LigandPoses.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "PoseReader.h"
#include "Receptor.h"
#include "openmm/OpenMMException.h"
#include <filesystem>
#include <memory>
#include <set>

using OpenMM::OpenMMException;
namespace fs = std::filesystem;
using namespace AffinityRescore;

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
        if (name.size() > extension.size() && name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
            return name.substr(0, name.size() - extension.size());
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

/** Every record of a pose file, as the poses of one ligand (whatever the records' titles). */
LigandPoses readPoses(const std::string& file) {
    PoseReader reader(file, false);
    LigandPoses all, group;
    while (reader.next(group)) {
        if (!group.problem.empty())
            throw OpenMMException("affinity-train: " + file +
                                  (group.firstRecord > 0 ? " (record " + std::to_string(group.firstRecord) + " on)" : "") +
                                  ": " + group.problem);
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

} // namespace

std::vector<TrainingLigand> loadTrainingLigands(const std::string& poseDirectory, const std::string& receptorFile,
                                                const std::vector<LigandTarget>& targets, double pocketCutoff,
                                                std::ostream& notes) {
    if (!fs::is_directory(poseDirectory))
        throw OpenMMException("affinity-train: the pose directory " + poseDirectory + " does not exist");
    // The reading and the pocket complexes of affinity-rescore, so that a model sees the same
    // complexes in training as in rescoring.
    Receptor receptor;
    std::unique_ptr<PocketSelector> pocketSelector;
    if (!receptorFile.empty()) {
        try {
            receptor = Receptor::read(receptorFile);
        } catch (const std::runtime_error& e) {
            throw OpenMMException("affinity-train: " + std::string(e.what()));
        }
        pocketSelector = std::make_unique<PocketSelector>(receptor, pocketCutoff);
    }
    std::vector<TrainingLigand> ligands;
    std::set<std::string> named;
    for (const LigandTarget& target : targets) {
        const std::string file = findPoseFile(poseDirectory, target.ligand);
        if (file.empty())
            throw OpenMMException("affinity-train: the targets file's line " + std::to_string(target.line) +
                                  " names ligand '" + target.ligand + "', which has no pose file; expected " +
                                  (fs::path(poseDirectory) / (target.ligand + ".pdbqt")).string() +
                                  " (or .sdf, .mol2; optionally .gz)");
        const LigandPoses poses = readPoses(file);
        std::vector<int> pocket;
        if (pocketSelector) {
            pocket = pocketSelector->select(poses);
            if (pocket.empty())
                throw OpenMMException("affinity-train: no receptor atom lies within " +
                                      std::to_string(pocketCutoff * 10) + " Å of the poses of " + file +
                                      "; expected poses docked into the receptor");
        }
        TrainingLigand ligand{target.ligand, pocketComplexPoses(receptor, pocket, poses), target.value, {},
                              (int) pocket.size()};
        for (const PoseRecord& pose : poses.poses)
            ligand.dockingScores.push_back(pose.dockingScore);
        ligands.push_back(std::move(ligand));
        named.insert(target.ligand);
    }
    for (const auto& entry : fs::directory_iterator(poseDirectory)) {
        const std::string ligand = poseFileLigand(entry.path());
        if (!ligand.empty() && entry.is_regular_file() && !named.count(ligand))
            notes << "affinity-train: note: " << entry.path().string() << " has no target and is not used\n";
    }
    return ligands;
}

} // namespace AffinityTrain
