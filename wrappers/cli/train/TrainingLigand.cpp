#include "TrainingLigand.h"
#include "PdbqtFile.h"
#include "openmm/OpenMMException.h"
#include <filesystem>
#include <set>

using OpenMM::OpenMMException;
namespace fs = std::filesystem;

namespace AffinityTrain {

namespace {

const char* const PoseExtension = ".pdbqt";

/** Indices of the receptor atoms within cutoff (nm) of any atom of any model. */
std::vector<int> pocketAtoms(const PdbqtModel& receptor, const std::vector<PdbqtModel>& poses, double cutoff) {
    std::vector<int> pocket;
    double cutoff2 = cutoff * cutoff;
    for (size_t r = 0; r < receptor.atomicNumbers.size(); r++) {
        const double* x = &receptor.positions[3 * r];
        bool near = false;
        for (const PdbqtModel& pose : poses) {
            for (size_t l = 0; l < pose.atomicNumbers.size() && !near; l++) {
                const double* y = &pose.positions[3 * l];
                double d2 = (x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) + (x[2] - y[2]) * (x[2] - y[2]);
                near = d2 < cutoff2;
            }
            if (near)
                break;
        }
        if (near)
            pocket.push_back((int) r);
    }
    return pocket;
}

TrainingLigand makeLigand(const LigandTarget& target, const std::vector<PdbqtModel>& poses, const PdbqtModel* receptor,
                          double pocketCutoff, const std::string& file) {
    const PdbqtModel& first = poses[0];
    for (size_t p = 1; p < poses.size(); p++)
        if (poses[p].atomicNumbers != first.atomicNumbers)
            throw OpenMMException("affinity-train: pose " + std::to_string(p + 1) + " of " + file + " has " +
                                  std::to_string(poses[p].atomicNumbers.size()) +
                                  " atoms or a different element order than pose 1 (" +
                                  std::to_string(first.atomicNumbers.size()) + " atoms); expected one topology");
    std::vector<int> pocket;
    if (receptor) {
        pocket = pocketAtoms(*receptor, poses, pocketCutoff);
        if (pocket.empty())
            throw OpenMMException("affinity-train: no receptor atom lies within " + std::to_string(pocketCutoff * 10) +
                                  " Å of the poses of " + file + "; expected poses docked into the receptor");
    }
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;
    for (int r : pocket) {
        atomicNumbers.push_back(receptor->atomicNumbers[r]);
        ligandMask.push_back(false);
    }
    atomicNumbers.insert(atomicNumbers.end(), first.atomicNumbers.begin(), first.atomicNumbers.end());
    ligandMask.insert(ligandMask.end(), first.atomicNumbers.size(), true);
    TrainingLigand ligand{target.ligand, AffinityPlugin::PoseEnsemble(atomicNumbers, ligandMask), target.value, {},
                          (int) pocket.size()};
    ligand.poses.reserve((int) poses.size());
    std::vector<double> complex(3 * atomicNumbers.size());
    for (int i = 0; i < (int) pocket.size(); i++)
        for (int k = 0; k < 3; k++)
            complex[3 * i + k] = receptor->positions[3 * pocket[i] + k];
    for (const PdbqtModel& pose : poses) {
        std::copy(pose.positions.begin(), pose.positions.end(), complex.begin() + 3 * pocket.size());
        ligand.poses.addPoses(complex.data(), 1);
        ligand.dockingScores.push_back(pose.vinaScore);
    }
    return ligand;
}

} // namespace

std::vector<TrainingLigand> loadTrainingLigands(const std::string& poseDirectory, const std::string& receptorFile,
                                                const std::vector<LigandTarget>& targets, double pocketCutoff,
                                                std::ostream& notes) {
    if (!fs::is_directory(poseDirectory))
        throw OpenMMException("affinity-train: the pose directory " + poseDirectory + " does not exist");
    std::vector<PdbqtModel> receptor;
    if (!receptorFile.empty())
        receptor = readPdbqt(receptorFile);
    std::vector<TrainingLigand> ligands;
    std::set<std::string> named;
    for (const LigandTarget& target : targets) {
        fs::path file = fs::path(poseDirectory) / (target.ligand + PoseExtension);
        if (!fs::is_regular_file(file))
            throw OpenMMException("affinity-train: the targets file's line " + std::to_string(target.line) +
                                  " names ligand '" + target.ligand + "', which has no pose file; expected " +
                                  file.string());
        ligands.push_back(makeLigand(target, readPdbqt(file.string()), receptor.empty() ? nullptr : &receptor[0],
                                     pocketCutoff, file.string()));
        named.insert(target.ligand);
    }
    for (const auto& entry : fs::directory_iterator(poseDirectory))
        if (entry.path().extension() == PoseExtension && !named.count(entry.path().stem().string()))
            notes << "affinity-train: note: " << entry.path().string() << " has no target and is not used\n";
    return ligands;
}

} // namespace AffinityTrain
