// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_LIGAND_OUTCOME_H_
#define AFFINITY_RESCORE_LIGAND_OUTCOME_H_

#include "TrainingDomain.h"
#include <string>
#include <vector>

namespace AffinityRescore {

/**
 * What evaluating one ligand found, before anything is written: the model's energies and the
 * domain flags, or why the ligand was skipped. It is all that a rank that scored a ligand
 * sends to rank 0, which has read the same ligand and records it from this.
 */
struct LigandOutcome {
    /** Why the ligand is skipped, or "" when it was scored. */
    std::string problem;
    /** The number of receptor atoms in its complex. */
    int pocketAtoms = 0;
    /** G_n in kJ/mol, as the model gave them, in pose order. */
    std::vector<double> energiesKJ;
    DomainFlags domain;
};

/** The outcomes as bytes (energies bit for bit), for ProcessGroup::gatherToRoot. */
std::string encodeOutcomes(const std::vector<LigandOutcome>& outcomes);

/**
 * The outcomes back from encodeOutcomes' bytes, appended to outcomes.
 *
 * @throws std::runtime_error for bytes that end early
 */
void decodeOutcomes(const std::string& bytes, std::vector<LigandOutcome>& outcomes);

} // namespace AffinityRescore

#endif
