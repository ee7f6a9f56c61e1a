// SPDX-License-Identifier: MIT
#include "PocketComplex.h"

using namespace AffinityCli;

AffinityPlugin::PoseEnsemble AffinityCli::pocketComplexPoses(const Receptor& receptor, const std::vector<int>& pocket,
                                                             const LigandPoses& ligand) {
    std::vector<int> numbers;
    std::vector<bool> mask;
    for (int r : pocket) {
        numbers.push_back(receptor.atomicNumbers[r]);
        mask.push_back(false);
    }
    const std::vector<int>& ligandNumbers = ligand.poses.at(0).atomicNumbers;
    numbers.insert(numbers.end(), ligandNumbers.begin(), ligandNumbers.end());
    mask.resize(numbers.size(), true);

    AffinityPlugin::PoseEnsemble complex(numbers, mask);
    complex.reserve((int)ligand.poses.size());
    std::vector<double> positions(3 * numbers.size());
    for (size_t k = 0; k < pocket.size(); k++)
        for (int d = 0; d < 3; d++)
            positions[3 * k + d] = receptor.positions[3 * pocket[k] + d];
    for (const PoseRecord& pose : ligand.poses) {
        std::copy(pose.positions.begin(), pose.positions.end(), positions.begin() + 3 * pocket.size());
        complex.addPoses(positions.data(), 1);
    }
    return complex;
}
