// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_LIGAND_OUTCOME_H_
#define AFFINITY_RESCORE_LIGAND_OUTCOME_H_

#include "LigandPoses.h"
#include "LigandRanking.h"
#include <string>
#include <vector>

namespace AffinityRescore {

/**
 * What one ligand (scored or skipped) added to a run: the text of each output, its place in
 * the ranking and its counts. It is what the journal keeps, so that a resumed run adds the
 * same bytes without scoring the ligand again.
 */
struct LigandOutcome {
    /** The digest of the ligand as read (name, source, records, poses): a resumed run checks that its input still holds
     * it. */
    std::string inputDigest;
    std::string name, source;
    int firstRecord = 0;
    bool scored = false, flagged = false;
    long long poses = 0;
    /** The text of each output, in the order of the run's outputs. */
    std::vector<std::string> entries;
    /** The ranking's entry (scored ligands only). */
    LigandRanking::Entry ranking;

    /** The digest of a ligand's poses as read. */
    static std::string digestOf(const AffinityCli::LigandPoses& ligand);
    /** The fields the journal stores, and back. @throws std::runtime_error for fields that are not an outcome */
    std::vector<std::string> toFields() const;
    static LigandOutcome fromFields(const std::vector<std::string>& fields);
};

} // namespace AffinityRescore

#endif
