// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_LIGAND_DISTRIBUTOR_H_
#define AFFINITY_RESCORE_LIGAND_DISTRIBUTOR_H_

#include "LigandEvaluation.h"
#include "LigandPoses.h"
#include "ProcessGroup.h"
#include <functional>
#include <vector>

namespace AffinityRescore {

/**
 * Shares affinity-rescore's ligands among the ranks of a run. Every rank reads every ligand,
 * in the same order, and hands each to add(); the ligands are taken in blocks, and within a
 * block each rank evaluates its contiguous share (by index) while skipping the others. The
 * evaluations go to rank 0 in rank order, which is input order, and rank 0 records every ligand of
 * the block, in that order, exactly as one process records the ligand it has just evaluated.
 *
 * Why every rank reads everything rather than one rank reading and sending the poses: reading
 * (Open Babel) costs far less than scoring on the CPU (benchmarks/RESULTS.md, "affinity-rescore
 * as K processes"), and the ranks then exchange only energies and flags, not poses.
 *
 * With one process every ligand is evaluated and recorded at once, as before.
 */
class LigandDistributor {
public:
    using Evaluate = std::function<LigandEvaluation(AffinityCli::LigandPoses&)>;
    using Record = std::function<void(AffinityCli::LigandPoses&, const LigandEvaluation&)>;

    /**
     * @param group      the ranks
     * @param blockSize  ligands per block, for all ranks together (memory: rank 0 holds a block)
     * @param evaluate   scores a ligand (on the rank that owns it)
     * @param record     writes a ligand and its evaluation (on rank 0 only)
     */
    LigandDistributor(const AffinityCli::ProcessGroup& group, int blockSize, Evaluate evaluate, Record record);
    /**
     * The next ligand of the input; every rank must add the same ligands. With one process it
     * is evaluated and recorded in place; otherwise a copy waits for its block.
     */
    void add(AffinityCli::LigandPoses& ligand);
    /** Evaluate and record the ligands still pending: at the end of the input, on every rank. */
    void flush();

private:
    const AffinityCli::ProcessGroup& group;
    int blockSize;
    Evaluate evaluate;
    Record record;
    std::vector<AffinityCli::LigandPoses> block;
};

} // namespace AffinityRescore

#endif
