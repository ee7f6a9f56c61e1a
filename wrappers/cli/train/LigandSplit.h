// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_LIGAND_SPLIT_H_
#define AFFINITY_TRAIN_LIGAND_SPLIT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace AffinityTrain {

/** Which ligands train the model and which validate it (indices into the ligand list). */
struct LigandSplit {
    std::vector<int> training, validation;
};

/**
 * Split ligands reproducibly: the ligands are ordered by name and shuffled with the seed, and
 * the first round(fraction·n) of them (at least one when fraction > 0 and n ≥ 2) validate.
 * The split depends only on the names, the fraction and the seed, so a resumed run and a
 * fresh run see the same split.
 */
LigandSplit splitLigands(const std::vector<std::string>& names, double validationFraction, int64_t seed);

/**
 * Split whole groups of ligands (for instance every ligand of one protein): the group names
 * are ordered and shuffled with the seed, and groups are held out in that order until they
 * hold at least round(fraction·n) ligands (at least one group when fraction > 0 and there
 * are two groups or more; never every group).
 *
 * @param groups  the group of each ligand
 */
LigandSplit splitGroups(const std::vector<std::string>& groups, double validationFraction, int64_t seed);

/** The order in which an epoch visits the training ligands: a shuffle seeded by the seed and the epoch. */
std::vector<int> epochOrder(const std::vector<int>& training, int64_t seed, int epoch);

/**
 * An epoch's optimizer steps: the ligands of each step. Without groups (groups empty) the
 * epoch's order is cut into steps of perStep ligands. With groups, each step's ligands come
 * from one group: each group's ligands are shuffled and cut into steps of perStep, and the
 * steps of all groups are shuffled together; all seeded by the seed and the epoch.
 *
 * @param training  the training ligands
 * @param groups    the group of every ligand (indexed as the ligands), or empty
 */
std::vector<std::vector<int>> epochSteps(const std::vector<int>& training, const std::vector<std::string>& groups,
                                         int perStep, int64_t seed, int epoch);

} // namespace AffinityTrain

#endif
