// SPDX-License-Identifier: MIT
#include "DockingFiles.h"
#include "AtomConvention.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <stdexcept>

using namespace AffinityPython;
using AffinityCli::AtomConvention;

namespace {

// The readers throw std::runtime_error; Python users of the module catch OpenMMException for
// everything the plugin reports, so the message crosses unchanged as one.
template <typename Function> auto reported(Function function) -> decltype(function()) {
    try {
        return function();
    } catch (const OpenMM::OpenMMException&) {
        throw;
    } catch (const std::exception& e) {
        throw OpenMM::OpenMMException(e.what());
    }
}

AtomConvention convention(const std::string& name) {
    return reported([&] { return AffinityCli::atomConventionFromName(name, "atom_convention"); });
}

} // namespace

ReceptorAtoms::ReceptorAtoms(const std::string& path, const std::string& atomConvention)
    : receptor(reported([&] { return AffinityCli::Receptor::read(path, convention(atomConvention)); })) {}

std::string ReceptorAtoms::getSource() const {
    return receptor.source;
}

std::vector<int> ReceptorAtoms::getAtomicNumbers() const {
    return receptor.atomicNumbers;
}

std::vector<double> ReceptorAtoms::getPositions() const {
    return receptor.positions;
}

std::string LigandPoseRecords::getName() const {
    return ligand.name;
}

std::string LigandPoseRecords::getSource() const {
    return ligand.source;
}

int LigandPoseRecords::getFirstRecord() const {
    return ligand.firstRecord;
}

int LigandPoseRecords::getNumPoses() const {
    return static_cast<int>(ligand.poses.size());
}

int LigandPoseRecords::getNumAtoms() const {
    return ligand.numLigandAtoms();
}

std::vector<int> LigandPoseRecords::getAtomicNumbers() const {
    return ligand.poses.empty() ? std::vector<int>() : ligand.poses[0].atomicNumbers;
}

std::vector<double> LigandPoseRecords::getPositions() const {
    std::vector<double> positions;
    for (const AffinityCli::PoseRecord& pose : ligand.poses)
        positions.insert(positions.end(), pose.positions.begin(), pose.positions.end());
    return positions;
}

std::vector<double> LigandPoseRecords::getDockingScores() const {
    std::vector<double> scores;
    for (const AffinityCli::PoseRecord& pose : ligand.poses)
        scores.push_back(pose.dockingScore);
    return scores;
}

std::string LigandPoseRecords::getProblem() const {
    return ligand.problem;
}

PoseFileReader::PoseFileReader(const std::string& path, const std::string& atomConvention)
    : reader(std::make_shared<AffinityCli::PoseReader>(path, false, convention(atomConvention))) {}

LigandPoseRecords* PoseFileReader::next() {
    AffinityCli::LigandPoses ligand;
    if (!reported([&] { return reader->next(ligand); }))
        return nullptr;
    return new LigandPoseRecords(std::move(ligand));
}

PocketComplexArrays::PocketComplexArrays(const ReceptorAtoms& receptor, const LigandPoseRecords& ligand,
                                         double cutoff) {
    const AffinityCli::LigandPoses& poses = ligand.poses();
    if (!poses.problem.empty())
        throw OpenMM::OpenMMException("pocket_complex: ligand '" + poses.name + "' (" + poses.source +
                                      ") cannot be scored: " + poses.problem);
    if (poses.poses.empty())
        throw OpenMM::OpenMMException("pocket_complex: ligand '" + poses.name + "' (" + poses.source +
                                      ") has no poses; expected at least one");
    if (!(cutoff > 0) || !std::isfinite(cutoff))
        throw OpenMM::OpenMMException("pocket_complex: cutoff is " + std::to_string(cutoff) +
                                      "; expected a positive distance in nm");
    reported([&] {
        pocket = AffinityCli::PocketSelector(receptor.atoms(), cutoff).select(poses);
        complex = std::make_shared<AffinityPlugin::PoseEnsemble>(
            AffinityCli::pocketComplexPoses(receptor.atoms(), pocket, poses));
        return 0;
    });
}

std::vector<int> PocketComplexArrays::getPocketAtoms() const {
    return pocket;
}

std::vector<int> PocketComplexArrays::getAtomicNumbers() const {
    return complex->getAtomicNumbers();
}

std::vector<bool> PocketComplexArrays::getLigandMask() const {
    return complex->getLigandMask();
}

int PocketComplexArrays::getNumPoses() const {
    return complex->getNumPoses();
}

std::vector<double> PocketComplexArrays::getPositions() const {
    return complex->getPositions();
}
