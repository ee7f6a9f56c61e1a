// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_TRAINING_DOMAIN_H_
#define AFFINITY_RESCORE_TRAINING_DOMAIN_H_

#include "PoseEnsemble.h"
#include <string>
#include <vector>

namespace AffinityRescore {

/** What TrainingDomain found for one scored ligand. Flags are ';'-separated words, "" for none. */
struct DomainFlags {
    /** Per pose: no-contact, unseen-element, positive-dG. */
    std::vector<std::string> pose;
    /** For the ligand as a whole: the union of its poses' flags (positive-dG for the combined ΔG). */
    std::string ligand;
    /** One line that says what was found, "" when nothing was. */
    std::string warning;
};

/**
 * Where a model's score of a pose should not be trusted, because the pose lies outside what the
 * model saw in training or its score contradicts the premise of a docked pose:
 *
 *  - no-contact: no receptor atom lies within the contact distance (4.5 Å) of any ligand
 *    atom, so the ligand is not in the pocket and the model's score measures nothing;
 *  - unseen-element: the complex holds an element that no training complex held (the model's
 *    training_elements attribute; not checked for models without it);
 *  - positive-dG: the pose's score (or the combined ΔG) is above zero, which says the docked
 *    pose does not bind at all.
 */
class TrainingDomain {
public:
    /**
     * @param trainingElements  the atomic numbers the model saw in training, empty when unknown
     * @param contactDistance   the no-contact distance in nm
     */
    explicit TrainingDomain(std::vector<int> trainingElements, double contactDistance = 0.45);
    /**
     * Check a scored ligand.
     *
     * @param complex        its complex: the pocket's receptor atoms, then the ligand's
     * @param poseDeltaG     G_n in kcal/mol
     * @param combinedDeltaG the combined ΔG in kcal/mol
     */
    DomainFlags check(const AffinityPlugin::PoseEnsemble& complex, const std::vector<double>& poseDeltaG,
                      double combinedDeltaG) const;

private:
    std::vector<int> trainingElements;
    double contactDistance;
};

} // namespace AffinityRescore

#endif
