// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_POCKET_SELECTOR_H_
#define AFFINITY_CLI_POCKET_SELECTOR_H_

#include "LigandPoses.h"
#include "Receptor.h"
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace AffinityCli {

/**
 * Picks the pocket of a ligand: the receptor atoms within a cutoff of any atom of any of its
 * poses. Using the union over poses gives every pose of the ligand the same atoms, which is
 * what lets the model score them as one fixed complex topology.
 *
 * The receptor is binned once into a grid of cubic cells of the cutoff's size, so a query
 * looks at the 27 cells around each ligand atom rather than at every receptor atom.
 */
class PocketSelector {
public:
    /**
     * @param receptor  the receptor; it must outlive the selector
     * @param cutoff    the pocket radius in nm, > 0
     */
    PocketSelector(const Receptor& receptor, double cutoff);
    /** The indices of the pocket's receptor atoms, ascending (file order). */
    std::vector<int> select(const LigandPoses& ligand) const;

private:
    int64_t cellKey(int64_t ix, int64_t iy, int64_t iz) const;
    const Receptor& receptor;
    double cutoff;
    std::unordered_map<int64_t, std::vector<int>> cells;
};

} // namespace AffinityCli

#endif
