// SPDX-License-Identifier: MIT
// The operator affinity::nearest_neighbors (plugin/ops). Test cases tagged [cpu] check its host
// implementation against a hand-worked line of atoms and against the dense formulation (the
// full distance matrix and a sorted top-K, as a plain-PyTorch model builds its lists); [cuda]
// ones (run with --platform CUDA [cuda]; exit 77 without a GPU) check the CUDA kernel against
// the host implementation, element for element, on both of its paths.
#include "NearestNeighbors.h"
#include "TestSupport.h"
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <vector>

using AffinityPlugin::nearestNeighbors;
using AffinityPlugin::nearestNeighborsReference;
using torch::Tensor;

namespace {

// Atoms scattered in a box of the given side (Å), and a random split into two parts.
std::pair<Tensor, Tensor> randomPoses(int64_t B, int64_t N, double side, torch::ScalarType dtype, uint64_t seed) {
    torch::manual_seed(seed);
    const Tensor positions = (torch::rand({B, N, 3}, torch::kFloat64) * side).to(dtype);
    const Tensor part = torch::rand({N}, torch::kFloat64) < 0.3;
    return {positions, part};
}

// The dense formulation: squared distances from coordinate differences, excluded pairs set to
// infinity, the K smallest in order, slots beyond the cutoff pointing at the atom itself.
std::pair<Tensor, Tensor> dense(const Tensor& positions, const Tensor& part, double cutoff, int64_t maxNeighbors,
                                bool separate) {
    const int64_t N = positions.size(1), K = std::min<int64_t>(maxNeighbors, N - 1);
    const Tensor d = positions.unsqueeze(2) - positions.unsqueeze(1);
    Tensor d2 = d.select(3, 0) * d.select(3, 0) + d.select(3, 1) * d.select(3, 1) + d.select(3, 2) * d.select(3, 2);
    Tensor excluded = torch::eye(N, torch::kBool).unsqueeze(0);
    if (separate)
        excluded = excluded | (part.view({1, N, 1}) != part.view({1, 1, N}));
    d2 = d2.masked_fill(excluded, std::numeric_limits<double>::infinity());
    auto [nearest, index] = torch::topk(d2, K, 2, /*largest=*/false, /*sorted=*/true);
    const Tensor valid = nearest < cutoff * cutoff;
    const Tensor self = torch::arange(N, torch::kLong).view({1, N, 1}).expand_as(index);
    return {torch::where(valid, index, self), valid};
}

// The squared lengths of the listed edges, 0 for empty slots: comparable whatever the ties.
Tensor listedLengths(const Tensor& positions, const Tensor& index, const Tensor& valid) {
    const int64_t B = positions.size(0), N = positions.size(1), K = index.size(2);
    const Tensor offset = (torch::arange(B, torch::kLong) * N).view({B, 1, 1});
    const Tensor neighbor =
        positions.reshape({B * N, 3}).index_select(0, (index + offset).reshape(-1)).view({B, N, K, 3});
    const Tensor d = neighbor - positions.unsqueeze(2);
    return ((d * d).sum(-1) * valid.to(positions.scalar_type()));
}

} // namespace

TEST_CASE("A line of atoms: nearest first, ties by index, parts kept apart, empty slots", "[cpu]") {
    // x = 0, 1, 3, 3.5 and -1; cutoff 2.6; at most 2 neighbours (K = 2).
    const Tensor positions =
        torch::tensor({0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 3.0, 0.0, 0.0, 3.5, 0.0, 0.0, -1.0, 0.0, 0.0}, torch::kFloat64)
            .view({1, 5, 3});
    const Tensor part = torch::tensor({false, false, true, true, false});
    auto [index, valid] = nearestNeighborsReference(positions, part, 2.6, 2, false);
    // Atom 0 has atoms 1 and 4 at the same distance 1: the lower index first.
    const std::vector<std::vector<int64_t>> expected = {{1, 4}, {0, 2}, {3, 1}, {2, 1}, {0, 1}};
    const std::vector<std::vector<bool>> expectedValid = {
        {true, true}, {true, true}, {true, true}, {true, true}, {true, true}};
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 2; k++) {
            INFO("atom " << i << " slot " << k);
            CHECK(index[0][i][k].item<int64_t>() == expected[i][k]);
            CHECK(valid[0][i][k].item<bool>() == expectedValid[i][k]);
        }
    // Parts apart: atom 1 keeps only atom 0 (4 is 2 away, 0 is 1 away; 2 is of the other part).
    std::tie(index, valid) = nearestNeighborsReference(positions, part, 2.6, 2, true);
    CHECK(index[0][1][0].item<int64_t>() == 0);
    CHECK(index[0][1][1].item<int64_t>() == 4);
    CHECK(index[0][2][0].item<int64_t>() == 3);
    CHECK(index[0][2][1].item<int64_t>() == 2); // no second neighbour: the atom itself, not valid
    CHECK_FALSE(valid[0][2][1].item<bool>());
    // More slots than atoms: K = N - 1.
    std::tie(index, valid) = nearestNeighborsReference(positions, part, 2.6, 32, false);
    CHECK(index.sizes() == torch::IntArrayRef({1, 5, 4}));
    CHECK(valid[0][0].sum().item<int64_t>() == 2); // atoms 1 and 4 within 2.6 of atom 0
}

TEST_CASE("The host lists equal the dense distance matrix and its top-K", "[cpu]") {
    for (bool separate : {false, true})
        for (auto [B, N, side, cutoff] : {std::make_tuple(2, 7, 3.0, 10.0), std::make_tuple(3, 300, 20.0, 10.0),
                                          std::make_tuple(2, 120, 30.0, 4.0)}) {
            INFO("separate " << separate << ", B N side cutoff = " << B << " " << N << " " << side << " " << cutoff);
            auto [positions, part] = randomPoses(B, N, side, torch::kFloat64, 7);
            auto [index, valid] = nearestNeighborsReference(positions, part, cutoff, 32, separate);
            auto [denseIndex, denseValid] = dense(positions, part, cutoff, 32, separate);
            // In float64 random coordinates give no ties: the lists agree slot for slot.
            REQUIRE(torch::equal(valid, denseValid));
            REQUIRE(torch::equal(index, denseIndex));
            // In float32 ties are possible; the listed lengths agree whatever their order.
            const Tensor single = positions.to(torch::kFloat32);
            auto [index32, valid32] = nearestNeighborsReference(single, part, cutoff, 32, separate);
            auto [dense32, denseValid32] = dense(single, part, cutoff, 32, separate);
            REQUIRE(torch::equal(valid32, denseValid32));
            REQUIRE(
                torch::equal(listedLengths(single, index32, valid32), listedLengths(single, dense32, denseValid32)));
        }
}

TEST_CASE("Bad arguments are refused with messages that name them", "[cpu]") {
    auto [positions, part] = randomPoses(1, 6, 5.0, torch::kFloat64, 1);
    REQUIRE_THROWS_WITH(nearestNeighbors(positions.view({6, 3}), part, 2.0, 4, false),
                        Catch::Contains("positions must be [B,N,3]"));
    REQUIRE_THROWS_WITH(nearestNeighbors(positions.to(torch::kInt), part, 2.0, 4, false),
                        Catch::Contains("float32 or float64"));
    REQUIRE_THROWS_WITH(nearestNeighbors(positions, part.narrow(0, 0, 5), 2.0, 4, false),
                        Catch::Contains("part_mask must be bool [N]"));
    REQUIRE_THROWS_WITH(nearestNeighbors(positions, part, -1.0, 4, false), Catch::Contains("cutoff must be positive"));
    REQUIRE_THROWS_WITH(nearestNeighbors(positions, part, 2.0, -1, false), Catch::Contains("must not be negative"));
}

TEST_CASE("The CUDA kernel equals the host implementation on both of its paths", "[cuda]") {
    const torch::Device gpu(torch::kCUDA, 0);
    // A pocket-sized pose (640 atoms, 10 Å cutoff), a tiny one, and poses with more atoms
    // within the cutoff than the kernel's shared-memory list holds (1,024 in float32, 512 in
    // float64), which take its slow path.
    for (auto dtype : {torch::kFloat32, torch::kFloat64})
        for (bool separate : {false, true})
            for (auto [B, N, side, cutoff] :
                 {std::make_tuple(4, 640, 25.0, 10.0), std::make_tuple(3, 7, 3.0, 10.0),
                  std::make_tuple(1, 1500, 10.0, 30.0), std::make_tuple(2, 700, 10.0, 30.0)}) {
                INFO("dtype " << dtype << ", separate " << separate << ", B N = " << B << " " << N);
                auto [positions, part] = randomPoses(B, N, side, dtype, 11);
                auto [index, valid] = nearestNeighbors(positions.to(gpu), part.to(gpu), cutoff, 32, separate);
                auto [hostIndex, hostValid] = nearestNeighborsReference(positions, part, cutoff, 32, separate);
                REQUIRE(index.device() == gpu);
                REQUIRE(torch::equal(valid.cpu(), hostValid));
                REQUIRE(torch::equal(index.cpu(), hostIndex));
            }
}
