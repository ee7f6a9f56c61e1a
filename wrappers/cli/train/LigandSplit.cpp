// SPDX-License-Identifier: MIT
#include "LigandSplit.h"
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace AffinityTrain {

namespace {

/**
 * Fisher–Yates with our own index draw: std::shuffle's use of the engine is left to the
 * standard library, and a split must not change with it.
 */
void shuffle(std::vector<int>& values, uint64_t seed) {
    std::mt19937_64 engine(seed);
    for (size_t i = values.size(); i > 1; i--) {
        size_t j = (size_t)(engine() % i);
        std::swap(values[i - 1], values[j]);
    }
}

} // namespace

LigandSplit splitLigands(const std::vector<std::string>& names, double validationFraction, int64_t seed) {
    std::vector<int> order(names.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return names[a] < names[b]; });
    shuffle(order, (uint64_t)seed);
    int count = (int)names.size();
    int held = (int)std::lround(validationFraction * count);
    if (validationFraction > 0.0 && count >= 2)
        held = std::max(held, 1);
    held = std::min(held, count - 1);
    LigandSplit split;
    split.validation.assign(order.begin(), order.begin() + std::max(held, 0));
    split.training.assign(order.begin() + std::max(held, 0), order.end());
    std::sort(split.validation.begin(), split.validation.end());
    std::sort(split.training.begin(), split.training.end());
    return split;
}

std::vector<int> epochOrder(const std::vector<int>& training, int64_t seed, int epoch) {
    std::vector<int> order = training;
    shuffle(order, (uint64_t)seed * 1000003u + (uint64_t)epoch);
    return order;
}

LigandSplit splitGroups(const std::vector<std::string>& groups, double validationFraction, int64_t seed) {
    const std::set<std::string> distinct(groups.begin(), groups.end());
    std::vector<std::string> names(distinct.begin(), distinct.end());
    std::vector<int> order(names.size());
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, (uint64_t)seed);
    std::map<std::string, int> sizes;
    for (const std::string& g : groups)
        sizes[g]++;
    const long wanted = std::lround(validationFraction * (double)groups.size());
    std::set<std::string> held;
    long heldLigands = 0;
    for (int g : order) {
        if (held.size() + 1 >= names.size() || validationFraction <= 0.0)
            break;
        if (heldLigands >= wanted && !held.empty())
            break;
        held.insert(names[g]);
        heldLigands += sizes[names[g]];
    }
    LigandSplit split;
    for (int i = 0; i < (int)groups.size(); i++)
        (held.count(groups[i]) ? split.validation : split.training).push_back(i);
    return split;
}

std::vector<std::vector<int>> epochSteps(const std::vector<int>& training, const std::vector<std::string>& groups,
                                         int perStep, int64_t seed, int epoch) {
    const std::vector<int> order = epochOrder(training, seed, epoch);
    std::vector<std::vector<int>> steps;
    if (groups.empty()) {
        for (size_t first = 0; first < order.size(); first += perStep)
            steps.emplace_back(order.begin() + first, order.begin() + std::min(order.size(), first + perStep));
        return steps;
    }
    // The shuffled order, taken group by group, keeps each group's ligands in shuffled order.
    std::map<std::string, std::vector<int>> members;
    for (int i : order)
        members[groups[i]].push_back(i);
    for (const auto& [name, ligands] : members)
        for (size_t first = 0; first < ligands.size(); first += perStep)
            steps.emplace_back(ligands.begin() + first, ligands.begin() + std::min(ligands.size(), first + perStep));
    std::vector<int> stepOrder(steps.size());
    std::iota(stepOrder.begin(), stepOrder.end(), 0);
    shuffle(stepOrder, (uint64_t)seed * 2000003u + (uint64_t)epoch);
    std::vector<std::vector<int>> shuffled;
    for (int s : stepOrder)
        shuffled.push_back(std::move(steps[s]));
    return shuffled;
}

} // namespace AffinityTrain
