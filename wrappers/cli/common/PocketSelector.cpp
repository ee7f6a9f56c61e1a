// SPDX-License-Identifier: MIT
#include "PocketSelector.h"
#include <cmath>

using namespace AffinityCli;

namespace {
// Cell indices are packed into one key; 2^20 cells per axis is far beyond any receptor.
constexpr int64_t CellsPerAxis = int64_t(1) << 20;
constexpr int64_t CellOffset = CellsPerAxis / 2;

/**
 * The cell of a coordinate along one axis, clamped to the grid (one cell inside its edge, so
 * that the neighbours of a clamped cell are on the grid too). A coordinate too far out for the
 * grid (or not finite) would otherwise overflow the conversion to an integer. Clamping keeps
 * the search exact: it is monotonic, so points within a cutoff of each other stay in the same
 * or neighbouring cells, and the distances themselves are always computed from the positions.
 */
int64_t cellIndex(double x, double cutoff) {
    const double cell = std::floor(x / cutoff);
    const double limit = double(CellOffset - 2);
    if (!(cell > -limit))
        return -(CellOffset - 2);
    if (!(cell < limit))
        return CellOffset - 2;
    return (int64_t)cell;
}
} // namespace

PocketSelector::PocketSelector(const Receptor& receptor, double cutoff) : receptor(receptor), cutoff(cutoff) {
    for (int i = 0; i < receptor.numAtoms(); i++) {
        const double* x = &receptor.positions[3 * i];
        cells[cellKey(cellIndex(x[0], cutoff), cellIndex(x[1], cutoff), cellIndex(x[2], cutoff))].push_back(i);
    }
}

int64_t PocketSelector::cellKey(int64_t ix, int64_t iy, int64_t iz) const {
    return ((ix + CellOffset) * CellsPerAxis + (iy + CellOffset)) * CellsPerAxis + (iz + CellOffset);
}

std::vector<int> PocketSelector::select(const LigandPoses& ligand) const {
    std::vector<char> inPocket(receptor.numAtoms(), 0);
    const double cutoff2 = cutoff * cutoff;
    for (const PoseRecord& pose : ligand.poses)
        for (size_t a = 0; a < pose.atomicNumbers.size(); a++) {
            const double* x = &pose.positions[3 * a];
            const int64_t cx = cellIndex(x[0], cutoff), cy = cellIndex(x[1], cutoff), cz = cellIndex(x[2], cutoff);
            for (int64_t dx = -1; dx <= 1; dx++)
                for (int64_t dy = -1; dy <= 1; dy++)
                    for (int64_t dz = -1; dz <= 1; dz++) {
                        auto cell = cells.find(cellKey(cx + dx, cy + dy, cz + dz));
                        if (cell == cells.end())
                            continue;
                        for (int r : cell->second) {
                            const double* y = &receptor.positions[3 * r];
                            const double d0 = x[0] - y[0], d1 = x[1] - y[1], d2 = x[2] - y[2];
                            if (d0 * d0 + d1 * d1 + d2 * d2 <= cutoff2)
                                inPocket[r] = 1;
                        }
                    }
        }
    std::vector<int> pocket;
    for (int r = 0; r < receptor.numAtoms(); r++)
        if (inPocket[r])
            pocket.push_back(r);
    return pocket;
}
