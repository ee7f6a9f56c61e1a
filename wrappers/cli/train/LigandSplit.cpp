#include "LigandSplit.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace AffinityTrain {

namespace {

/**
 * Fisher–Yates with our own index draw: std::shuffle's use of the engine is left to the
 * standard library, and a split must not change with it.
 */
void shuffle(std::vector<int>& values, uint64_t seed) {
    std::mt19937_64 engine(seed);
    for (size_t i = values.size(); i > 1; i--) {
        size_t j = (size_t) (engine() % i);
        std::swap(values[i - 1], values[j]);
    }
}

} // namespace

LigandSplit splitLigands(const std::vector<std::string>& names, double validationFraction, int64_t seed) {
    std::vector<int> order(names.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return names[a] < names[b]; });
    shuffle(order, (uint64_t) seed);
    int count = (int) names.size();
    int held = (int) std::lround(validationFraction * count);
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
    shuffle(order, (uint64_t) seed * 1000003u + (uint64_t) epoch);
    return order;
}

} // namespace AffinityTrain
