// SPDX-License-Identifier: MIT
// PocketSelector against a brute-force search over every receptor atom, on ordinary
// coordinates and on coordinates far beyond any grid (1e20 nm, 1e300 nm, non-finite): the
// cell index of such a coordinate must not overflow (UndefinedBehaviorSanitizer checks this
// in the sanitized build) and the selection must still be exact.
#define CATCH_CONFIG_MAIN
#include "PocketSelector.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

using namespace AffinityCli;

namespace {

std::vector<int> bruteForcePocket(const Receptor& receptor, const LigandPoses& ligand, double cutoff) {
    std::vector<int> pocket;
    for (int r = 0; r < receptor.numAtoms(); r++) {
        bool near = false;
        for (const PoseRecord& pose : ligand.poses)
            for (size_t a = 0; a < pose.atomicNumbers.size(); a++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++) {
                    const double d = pose.positions[3 * a + k] - receptor.positions[3 * r + k];
                    d2 += d * d;
                }
                near = near || d2 <= cutoff * cutoff;
            }
        if (near)
            pocket.push_back(r);
    }
    return pocket;
}

void addAtom(std::vector<int>& numbers, std::vector<double>& positions, double x, double y, double z) {
    numbers.push_back(6);
    positions.insert(positions.end(), {x, y, z});
}

} // namespace

TEST_CASE("The pocket is every receptor atom within the cutoff of any pose, as a brute-force search finds") {
    std::mt19937 random(5);
    std::uniform_real_distribution<double> box(-3.0, 3.0);
    Receptor receptor;
    for (int i = 0; i < 2000; i++)
        addAtom(receptor.atomicNumbers, receptor.positions, box(random), box(random), box(random));
    LigandPoses ligand;
    for (int p = 0; p < 3; p++) {
        PoseRecord pose;
        for (int i = 0; i < 20; i++)
            addAtom(pose.atomicNumbers, pose.positions, 0.3 * box(random), 0.3 * box(random), 0.3 * box(random));
        ligand.poses.push_back(pose);
    }
    for (double cutoff : {0.3, 0.6, 1.0}) {
        const std::vector<int> expected = bruteForcePocket(receptor, ligand, cutoff);
        CHECK(!expected.empty());
        CHECK(PocketSelector(receptor, cutoff).select(ligand) == expected);
    }
}

TEST_CASE("Coordinates far beyond the grid, or not finite, neither overflow nor change the selection") {
    const double huge = 1e20, inf = std::numeric_limits<double>::infinity(),
                 nan = std::numeric_limits<double>::quiet_NaN();
    Receptor receptor;
    addAtom(receptor.atomicNumbers, receptor.positions, 0.1, 0.2, 0.3);
    addAtom(receptor.atomicNumbers, receptor.positions, huge, 0.0, 0.0);
    addAtom(receptor.atomicNumbers, receptor.positions, -huge, 1e300, -1e300);
    addAtom(receptor.atomicNumbers, receptor.positions, inf, 0.0, nan);
    addAtom(receptor.atomicNumbers, receptor.positions, 5e5, 0.0, 0.0);
    LigandPoses ligand;
    PoseRecord pose;
    addAtom(pose.atomicNumbers, pose.positions, 0.0, 0.0, 0.0);
    addAtom(pose.atomicNumbers, pose.positions, huge, 0.0, 0.1); // 0.1 nm from receptor atom 2
    addAtom(pose.atomicNumbers, pose.positions, -inf, nan, 1e300);
    addAtom(pose.atomicNumbers, pose.positions, 5e5 + 0.5, 0.0, 0.0); // beyond the grid edge, 0.5 nm from atom 5
    ligand.poses.push_back(pose);
    const std::vector<int> expected = bruteForcePocket(receptor, ligand, 0.6);
    CHECK(expected == std::vector<int>{0, 1, 4});
    CHECK(PocketSelector(receptor, 0.6).select(ligand) == expected);
}
