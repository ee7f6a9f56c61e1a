// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_RANK_SHARE_H_
#define AFFINITY_TRAIN_RANK_SHARE_H_

#include "Combination.h"
#include "GradientExport.h"
#include "ProcessGroup.h"
#include <torch/script.h>
#include <vector>

namespace AffinityTrain {

/**
 * What the ranks of a data-parallel training run exchange in one step. Each rank scores its
 * share of the step's ligands (AffinityCli::shareOfRank); the set loss, which may couple the
 * ligands (centred MSE, ranking), then needs every ligand's energies on every rank, and the
 * optimiser the sum of every rank's gradient.
 */
class RankShare {
public:
    /**
     * @param group    the ranks
     * @param ligands  the step's ligands, the same on every rank
     */
    RankShare(const AffinityCli::ProcessGroup& group, int ligands);
    /** This rank's ligands: [first, last) of the step's. */
    int first() const {
        return begin;
    }
    int last() const {
        return end;
    }
    /**
     * Every ligand's energies and combination, on every rank, from each rank's own share
     * (`mine`, of ligands [first, last)). Each energy is summed over the ranks from one rank's
     * value and the others' zeros, so that it arrives exactly; the combinations are then
     * recomputed from the energies, as scoreLigandSet() computes them.
     */
    AffinityPlugin::LigandSetScores allScores(const std::vector<AffinityPlugin::LigandTerm>& ligands,
                                              const AffinityPlugin::LigandSetScores& mine,
                                              const AffinityPlugin::Combination& combination) const;

private:
    const AffinityCli::ProcessGroup& group;
    int begin, end;
};

/**
 * Replace each parameter's .grad by its sum over the ranks (MPI_Allreduce of one flat float64
 * buffer on the host), so that every rank takes the same optimiser step. Nothing to do for a
 * group of one.
 */
void sumGradientsOverRanks(const AffinityCli::ProcessGroup& group,
                           const std::vector<std::pair<std::string, torch::Tensor>>& parameters);

} // namespace AffinityTrain

#endif
