// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_LIGAND_EVALUATION_H_
#define AFFINITY_RESCORE_LIGAND_EVALUATION_H_

#include "TrainingDomain.h"
#include <string>
#include <vector>

namespace AffinityRescore {

/**
 * What evaluating one ligand found, before anything is written: the model's energies and the
 * domain flags, or why the ligand was skipped. It is all that a rank that scored a ligand
 * sends to rank 0, which has read the same ligand and records it from this.
 */
struct LigandEvaluation {
    /** Why the ligand is skipped, or "" when it was scored. */
    std::string problem;
    /** The number of receptor atoms in its complex. */
    int pocketAtoms = 0;
    /** G_n in kJ/mol, as the model gave them, in pose order. */
    std::vector<double> energiesKJ;
    DomainFlags domain;
};

/** The evaluations as bytes (energies bit for bit), for ProcessGroup::gatherToRoot. */
std::string encodeEvaluations(const std::vector<LigandEvaluation>& evaluations);

/**
 * The evaluations back from encodeEvaluations' bytes, appended to evaluations.
 *
 * @throws std::runtime_error for bytes that end early
 */
void decodeEvaluations(const std::string& bytes, std::vector<LigandEvaluation>& evaluations);

} // namespace AffinityRescore

#endif
