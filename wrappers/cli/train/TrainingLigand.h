#ifndef AFFINITY_TRAIN_TRAINING_LIGAND_H_
#define AFFINITY_TRAIN_TRAINING_LIGAND_H_

#include "PoseEnsemble.h"
#include "TargetTable.h"
#include <ostream>
#include <string>
#include <vector>

namespace AffinityTrain {

/** The docked poses of one ligand in its pocket, with the ligand's target. */
struct TrainingLigand {
    std::string name;
    /** The complexes the model sees: the pocket's receptor atoms, then the ligand's atoms. */
    AffinityPlugin::PoseEnsemble poses;
    /** The target, in the unit of the targets table (kcal/mol for ΔG). */
    double target = 0.0;
    /** The docking program's score of each pose in kcal/mol (NaN where the file has none). */
    std::vector<double> dockingScores;
    /** The number of receptor (pocket) atoms; the ligand's atoms follow them. */
    int pocketAtoms = 0;
};

/**
 * Read the pose groups of the ligands a targets table names: the poses of ligand L are all the
 * records of DIRECTORY/L.pdbqt (AutoDock Vina's multi-model output), or else L.sdf or L.mol2
 * (each optionally .gz), all with the same atoms in the same order. Files are read, and the
 * complexes built, by affinity-rescore's code (Open Babel's PoseReader and Receptor,
 * PocketSelector, pocketComplexPoses), so a model sees the same complexes in training as in
 * rescoring: with a receptor, each complex is the receptor's atoms within pocketCutoff of any
 * atom of any pose (the union over poses, so all poses share one topology) followed by the
 * ligand's atoms; without one, the ligand alone.
 *
 * @param poseDirectory  the directory of per-ligand pose files
 * @param receptorFile   a receptor (PDB, PDBQT or mmCIF; optionally .gz), or "" for none
 * @param targets        the ligands to read and their targets
 * @param pocketCutoff   the pocket radius in nm
 * @param notes          where to say which pose files have no target (they are not used)
 * @throws OpenMMException for a ligand without a pose file, an unreadable file or record,
 *         poses that disagree in their atoms, or a pocket without atoms
 */
std::vector<TrainingLigand> loadTrainingLigands(const std::string& poseDirectory, const std::string& receptorFile,
                                                const std::vector<LigandTarget>& targets, double pocketCutoff,
                                                std::ostream& notes);

} // namespace AffinityTrain

#endif
