// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_COMPLEX_CACHE_H_
#define AFFINITY_TRAIN_COMPLEX_CACHE_H_

#include "PoseEnsemble.h"
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace AffinityTrain {

/** The pocket complexes of one ligand of a pose file, as built for training. */
struct PoseFileLigand {
    /** The title its records share. */
    std::string title;
    /** The 1-based index of its first record in the file. */
    int firstRecord = 1;
    /** The number of receptor (pocket) atoms; the ligand's atoms follow them. */
    int pocketAtoms = 0;
    /** The docking score of each pose in kcal/mol (NaN where the file has none). */
    std::vector<double> dockingScores;
    AffinityPlugin::PoseEnsemble poses;

    explicit PoseFileLigand(AffinityPlugin::PoseEnsemble poses) : poses(std::move(poses)) {}
};

/**
 * A folder of built pocket complexes, one file per (receptor, pose file) pair, so that a
 * second training run over the same data reads a few binary files instead of parsing every
 * structure again. An entry is keyed by the two files' paths, sizes and modification times,
 * the atom convention and the pocket cutoff, and is rebuilt when any of them changes. An
 * entry that cannot be read back whole (truncated, damaged, another version) is reported,
 * ignored and rebuilt; entries are written to a temporary file and renamed, so an interrupted
 * run never leaves half an entry.
 */
class ComplexCache {
public:
    /** @param directory  the cache folder (created when needed), or "" for no cache */
    explicit ComplexCache(std::string directory);
    /**
     * The complexes of every ligand of a pose file against a receptor.
     *
     * @param receptor    the receptor file
     * @param poses       the pose file
     * @param settings    the atom convention and pocket cutoff, as text, part of the key
     * @param build       builds them (reading the files) when there is no usable entry
     * @param notes       where to report an entry that was ignored or could not be written
     */
    std::vector<PoseFileLigand> complexes(const std::string& receptor, const std::string& poses,
                                          const std::string& settings,
                                          const std::function<std::vector<PoseFileLigand>()>& build,
                                          std::ostream& notes);

private:
    std::string directory;
};

} // namespace AffinityTrain

#endif
