// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_TRAINING_LIGAND_H_
#define AFFINITY_TRAIN_TRAINING_LIGAND_H_

#include "AtomConvention.h"
#include "PoseEnsemble.h"
#include "TargetTable.h"
#include <ostream>
#include <string>
#include <vector>

namespace AffinityTrain {

/** The docked poses of one ligand in its pocket, with the ligand's target. */
struct TrainingLigand {
    /** The name in messages and outputs (LigandTarget::displayName). */
    std::string name;
    /** The complexes the model sees: the pocket's receptor atoms, then the ligand's atoms. */
    AffinityPlugin::PoseEnsemble poses;
    /** The target, in the unit of the targets table (kcal/mol for ΔG). */
    double target = 0.0;
    /** The docking program's score of each pose in kcal/mol (NaN where the file has none). */
    std::vector<double> dockingScores;
    /** The number of receptor (pocket) atoms; the ligand's atoms follow them. */
    int pocketAtoms = 0;
    /** The row of the targets table or manifest it came from (its columns, for grouping). */
    LigandTarget row;
};

/** How complexes are built from the files: as affinity-rescore builds them. */
struct ComplexSettings {
    /** The pocket radius in nm. */
    double pocketCutoff = 0.8;
    AffinityCli::AtomConvention convention = AffinityCli::AtomConvention::HeavyAtoms;
    /** A folder that caches built complexes (ComplexCache), or "" for none. */
    std::string cacheDirectory;
    /** The tag whose value names the ligands of a manifest's pose files (--ligand-tag), or "" for their titles. */
    std::string ligandTag;
};

/**
 * Read the pose groups of the ligands a targets table names: the poses of ligand L are all the
 * records of DIRECTORY/L.pdbqt (AutoDock Vina's multi-model output), or else L.sdf or L.mol2
 * (each optionally .gz), all with the same atoms in the same order. Files are read, and the
 * complexes built, by affinity-rescore's code (Open Babel's PoseReader and Receptor,
 * PocketSelector, pocketComplexPoses), so a model sees the same complexes in training as in
 * rescoring: with a receptor, each complex is the receptor's atoms within the pocket cutoff of
 * any atom of any pose (the union over poses, so all poses share one topology) followed by the
 * ligand's atoms; without one, the ligand alone. Atoms are kept by the atom convention.
 *
 * The files may instead be those a --poses pattern matched (matchedFiles): ligand L's is the
 * one named L.<extension> (the first of .pdbqt, .sdf, .mol2 when several are).
 *
 * @param poseDirectory  the directory of per-ligand pose files (or the pattern, for messages)
 * @param matchedFiles   the files the pattern matched, or empty to look in poseDirectory
 * @param receptorFile   a receptor (PDB, PDBQT or mmCIF; optionally .gz), or "" for none
 * @param targets        the ligands to read and their targets
 * @param settings       the pocket cutoff and atom convention
 * @param notes          where to say which pose files have no target (they are not used)
 * @throws OpenMMException for a ligand without a pose file, an unreadable file or record,
 *         poses that disagree in their atoms, or a pocket without atoms
 */
std::vector<TrainingLigand> loadTrainingLigands(const std::string& poseDirectory,
                                                const std::vector<std::string>& matchedFiles,
                                                const std::string& receptorFile,
                                                const std::vector<LigandTarget>& targets,
                                                const ComplexSettings& settings, std::ostream& notes);

/**
 * Read the ligands of a manifest (readManifest): each receptor is read once, each pose file
 * once, and the ligands are the groups of consecutive records titled with the manifest's
 * ligand names (or whose settings.ligandTag has them as its value). A record with an empty
 * title, or without the tag, is an error naming it. Complexes are built as loadTrainingLigands builds them, and cached
 * when the settings name a cache folder.
 *
 * @throws OpenMMException naming the manifest line for a ligand its pose file does not hold,
 *         and naming the file and record for anything unreadable
 */
std::vector<TrainingLigand> loadManifestLigands(const std::vector<LigandTarget>& targets,
                                                const ComplexSettings& settings, std::ostream& notes);

} // namespace AffinityTrain

#endif
