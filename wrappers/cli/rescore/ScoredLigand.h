// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_SCORED_LIGAND_H_
#define AFFINITY_RESCORE_SCORED_LIGAND_H_

#include "AffinityLoss.h"
#include "Combination.h"
#include "LigandPoses.h"
#include "TrainingDomain.h"
#include <vector>

namespace AffinityRescore {

/** A ligand's scores: what the writers report for it. Energies are in kcal/mol. */
struct ScoredLigand {
    const AffinityCli::LigandPoses* ligand = nullptr;
    int pocketAtoms = 0;
    /** G_n of each pose, in input order. */
    std::vector<double> poseDeltaG;
    /** The combination's weight of each pose (they sum to 1). */
    std::vector<double> weights;
    double combinedDeltaG = 0.0;
    /** The rank of each pose, 1 for the lowest G_n (ties keep input order). */
    std::vector<int> ranks;
    /** The poses' indices in rank order. */
    std::vector<int> rankOrder;
    /** The readout of the combined ΔG (pK_i or pIC50); NaN without one. */
    double readout = 0.0;
    /** Where the score should not be trusted (TrainingDomain), per pose and for the ligand. */
    DomainFlags domain;

    /**
     * Combine per-pose energies.
     *
     * @param ligand         the ligand's poses; must outlive the result
     * @param pocketAtoms    the number of receptor atoms in its complex
     * @param energiesKJ     G_n in kJ/mol, as the model gave them
     * @param combination    how G_n are combined
     * @param temperature    T in K
     * @param readout        the readout of the combined ΔG, Readout() for none
     */
    static ScoredLigand combine(const AffinityCli::LigandPoses& ligand, int pocketAtoms,
                                const std::vector<double>& energiesKJ, const AffinityPlugin::Combination& combination,
                                double temperature, const AffinityPlugin::Readout& readout);
};

} // namespace AffinityRescore

#endif
