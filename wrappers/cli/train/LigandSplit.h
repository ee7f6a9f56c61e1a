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

/** The order in which an epoch visits the training ligands: a shuffle seeded by the seed and the epoch. */
std::vector<int> epochOrder(const std::vector<int>& training, int64_t seed, int epoch);

} // namespace AffinityTrain

#endif
