// SPDX-License-Identifier: MIT
// The operator affinity::filter_tables (plugin/ops). Test cases tagged [cpu] check its tables
// against the filter network evaluated length by length (values, and derivatives by central
// differences), and its gradients against autograd of the same formula written in plain
// LibTorch operations; [cuda] ones (run with --platform CUDA [cuda]; exit 77 without a GPU)
// check the CUDA kernels against the host implementation.
#include "FilterTables.h"
#include "TestSupport.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <torch/torch.h>
#include <vector>

using AffinityPlugin::filterTables;
using torch::Tensor;

namespace {

const double Pi = 3.14159265358979323846;

// A small SchNet-like filter network: K blocks, G Gaussians on [0, cutoff], F filters.
struct Network {
    int64_t K, F, G, T;
    double cutoff, spacing, shift, width;
    Tensor w1, b1, w2, b2; // float64

    Network(int64_t K, int64_t F, int64_t G, int64_t T, uint64_t seed)
        : K(K), F(F), G(G), T(T), cutoff(5.0), spacing(5.0 / (T - 1)), shift(std::log(2.0)), width(5.0 / (G - 1)) {
        torch::manual_seed(seed);
        const auto real = torch::TensorOptions().dtype(torch::kFloat64);
        w1 = torch::randn({K, F, G}, real) * 0.7;
        b1 = torch::randn({K, F}, real);
        b1[0][0] = 25.0; // above softplus's threshold of 20 at every length
        w2 = torch::randn({K, F, F}, real) / std::sqrt((double)F);
        b2 = torch::randn({K, F}, real) * 0.1;
    }

    // The expansion and the envelope at length r, and their derivatives: [G + 1] each.
    std::pair<Tensor, Tensor> basisAt(const Tensor& r) const {
        const Tensor centre = torch::linspace(0.0, cutoff, G, torch::kFloat64);
        const double coeff = -0.5 / (width * width);
        const Tensor d = r.unsqueeze(-1) - centre;
        const Tensor gauss = torch::exp(coeff * d * d);
        const Tensor env = 0.5 * (torch::cos(r * Pi / cutoff) + 1.0);
        const Tensor envSlope = -0.5 * Pi / cutoff * torch::sin(r * Pi / cutoff);
        return {torch::cat({gauss, env.unsqueeze(-1)}, -1),
                torch::cat({2.0 * coeff * d * gauss, envSlope.unsqueeze(-1)}, -1)};
    }

    // [2, T, G + 1] at the table's lengths.
    Tensor basis() const {
        auto [values, slopes] = basisAt(torch::arange(T, torch::kFloat64) * spacing);
        return torch::stack({values, slopes});
    }

    // The filter W_k(r) of every block at one length, straight from the network: [K, F].
    Tensor filterAt(double r) const {
        auto [values, slopes] = basisAt(torch::full({1}, r, torch::kFloat64));
        const Tensor e = values[0].narrow(0, 0, G), env = values[0][G];
        const Tensor hidden = torch::matmul(w1, e) + b1;
        const Tensor act = torch::softplus(hidden) - shift;
        return (torch::matmul(w2, act.unsqueeze(-1)).squeeze(-1) + b2) * env;
    }
};

// The same tables by the plain formula, differentiable by autograd: what the models computed
// before the operator, in float64 whatever the weights' dtype.
Tensor plainTables(const Tensor& w1In, const Tensor& b1In, const Tensor& w2In, const Tensor& b2In, const Tensor& basis,
                   double spacing, double shift) {
    const Tensor w1 = w1In.to(torch::kFloat64), b1 = b1In.to(torch::kFloat64);
    const Tensor w2 = w2In.to(torch::kFloat64), b2 = b2In.to(torch::kFloat64);
    const int64_t K = w1.size(0), F = w1.size(1), G = w1.size(2), T = basis.size(1);
    const Tensor env = basis[0].narrow(1, G, 1), envSlope = basis[1].narrow(1, G, 1);
    const Tensor both = torch::matmul(basis.narrow(2, 0, G).reshape({2 * T, G}), w1.reshape({K * F, G}).t())
                            .reshape({2, T, K, F})
                            .permute({0, 2, 1, 3});
    const Tensor hidden = both[0] + b1.unsqueeze(1);
    Tensor values = torch::baddbmm(b2.unsqueeze(1), torch::softplus(hidden) - shift, w2.transpose(1, 2));
    Tensor slopes = torch::bmm(torch::sigmoid(hidden) * both[1], w2.transpose(1, 2));
    slopes = (slopes * env + values * envSlope) * spacing;
    values = values * env;
    const Tensor y0 = values.narrow(1, 0, T - 1), y1 = values.narrow(1, 1, T - 1);
    const Tensor m0 = slopes.narrow(1, 0, T - 1), m1 = slopes.narrow(1, 1, T - 1);
    return torch::stack({y0, m0, 3.0 * (y1 - y0) - 2.0 * m0 - m1, 2.0 * (y0 - y1) + m0 + m1}, 2);
}

double relativeError(const Tensor& a, const Tensor& b) {
    const Tensor x = a.to(torch::kFloat64).cpu(), y = b.to(torch::kFloat64).cpu();
    return (x - y).abs().max().item<double>() / y.abs().max().item<double>();
}

// The gradients of sum(table * weights) with respect to the four weight tensors.
std::vector<Tensor> gradients(const Tensor& table, const Tensor& weights, const std::vector<Tensor>& inputs) {
    return torch::autograd::grad({(table * weights.to(table.scalar_type())).sum()}, inputs);
}

std::vector<Tensor> withGrad(const Network& n, torch::ScalarType dtype, const torch::Device& device) {
    std::vector<Tensor> result;
    for (const Tensor& t : {n.w1, n.b1, n.w2, n.b2})
        result.push_back(t.to(device, dtype).detach().requires_grad_(true));
    return result;
}

} // namespace

TEST_CASE("The tables take the filter network's values and derivatives at their lengths", "[cpu]") {
    const Network n(3, 6, 5, 11, 1);
    const Tensor table = filterTables(n.w1, n.b1, n.w2, n.b2, n.basis(), n.spacing, n.shift, torch::kFloat64);
    REQUIRE(table.sizes() == torch::IntArrayRef({3, 10, 4, 6}));
    REQUIRE(table.scalar_type() == torch::kFloat64);
    const double step = 1e-5;
    // Errors relative to the largest value and slope of the whole table: at the cutoff both
    // are zero.
    const double valueScale = table.select(2, 0).abs().max().item<double>();
    const double slopeScale = table.select(2, 1).abs().max().item<double>();
    auto error = [](const Tensor& a, const Tensor& b, double scale) {
        return (a - b).abs().max().item<double>() / scale;
    };
    for (int64_t s = 0; s < n.T - 1; s++) {
        INFO("segment " << s);
        const double r0 = s * n.spacing, r1 = (s + 1) * n.spacing;
        const Tensor c = table.select(1, s); // [K, 4, F]
        const Tensor a = c.select(1, 0), b = c.select(1, 1), cc = c.select(1, 2), d = c.select(1, 3);
        // Value at both ends (t = 0 and t = 1).
        CHECK(error(a, n.filterAt(r0), valueScale) < 1e-13);
        CHECK(error(a + b + cc + d, n.filterAt(r1), valueScale) < 1e-13);
        // d/dt = spacing · dW/dr at both ends, against central differences of the network.
        const Tensor slope0 = (n.filterAt(r0 + step) - n.filterAt(r0 - step)) / (2 * step) * n.spacing;
        const Tensor slope1 = (n.filterAt(r1 + step) - n.filterAt(r1 - step)) / (2 * step) * n.spacing;
        CHECK(error(b, slope0, slopeScale) < 1e-8);
        CHECK(error(b + 2 * cc + 3 * d, slope1, slopeScale) < 1e-8);
    }
}

TEST_CASE("The tables and their gradients equal autograd of the plain formula", "[cpu]") {
    const Network n(2, 5, 4, 9, 2);
    const Tensor basis = n.basis();
    const Tensor weights = torch::randn({2, 8, 4, 5}, torch::kFloat64);
    SECTION("float64 weights and tables") {
        std::vector<Tensor> op = withGrad(n, torch::kFloat64, torch::kCPU),
                            plain = withGrad(n, torch::kFloat64, torch::kCPU);
        const Tensor t = filterTables(op[0], op[1], op[2], op[3], basis, n.spacing, n.shift, torch::kFloat64);
        const Tensor reference = plainTables(plain[0], plain[1], plain[2], plain[3], basis, n.spacing, n.shift);
        CHECK(relativeError(t, reference) < 1e-14);
        const std::vector<Tensor> g = gradients(t, weights, op), expected = gradients(reference, weights, plain);
        for (size_t i = 0; i < g.size(); i++) {
            INFO("input " << i);
            CHECK(g[i].scalar_type() == torch::kFloat64);
            CHECK(relativeError(g[i], expected[i]) < 1e-13);
        }
    }
    SECTION("float32 weights and tables, computed in float64") {
        std::vector<Tensor> op = withGrad(n, torch::kFloat32, torch::kCPU),
                            plain = withGrad(n, torch::kFloat32, torch::kCPU);
        const Tensor t = filterTables(op[0], op[1], op[2], op[3], basis, n.spacing, n.shift, torch::kFloat32);
        REQUIRE(t.scalar_type() == torch::kFloat32);
        const Tensor reference = plainTables(plain[0], plain[1], plain[2], plain[3], basis, n.spacing, n.shift);
        // The float64 table rounded once to float32.
        CHECK(torch::equal(t, reference.to(torch::kFloat32)));
        const std::vector<Tensor> g = gradients(t, weights, op),
                                  expected = gradients(reference.to(torch::kFloat32), weights, plain);
        for (size_t i = 0; i < g.size(); i++) {
            INFO("input " << i);
            CHECK(g[i].scalar_type() == torch::kFloat32);
            CHECK(relativeError(g[i], expected[i]) < 1e-6);
        }
    }
}

TEST_CASE("filter_tables refuses bad arguments with messages that name them", "[cpu]") {
    const Network n(2, 3, 4, 5, 3);
    const Tensor basis = n.basis();
    REQUIRE_THROWS_WITH(filterTables(n.w1[0], n.b1, n.w2, n.b2, basis, n.spacing, n.shift, torch::kFloat64),
                        Catch::Contains("first_weight must be [K,F,G]"));
    REQUIRE_THROWS_WITH(filterTables(n.w1, n.b1.t(), n.w2, n.b2, basis, n.spacing, n.shift, torch::kFloat64),
                        Catch::Contains("first_bias must be [K,F]"));
    REQUIRE_THROWS_WITH(
        filterTables(n.w1, n.b1, n.w2.narrow(2, 0, 2), n.b2, basis, n.spacing, n.shift, torch::kFloat64),
        Catch::Contains("second_weight must be [K,F,F]"));
    REQUIRE_THROWS_WITH(
        filterTables(n.w1, n.b1, n.w2, n.b2, basis.narrow(2, 0, 4), n.spacing, n.shift, torch::kFloat64),
        Catch::Contains("basis must be [2,T,G+1]"));
    REQUIRE_THROWS_WITH(
        filterTables(n.w1, n.b1, n.w2, n.b2, basis.to(torch::kFloat32), n.spacing, n.shift, torch::kFloat64),
        Catch::Contains("basis must be float64"));
    REQUIRE_THROWS_WITH(filterTables(n.w1, n.b1, n.w2, n.b2, basis, 0.0, n.shift, torch::kFloat64),
                        Catch::Contains("spacing must be positive"));
    REQUIRE_THROWS_WITH(filterTables(n.w1, n.b1, n.w2, n.b2, basis, n.spacing, n.shift, torch::kInt),
                        Catch::Contains("dtype must be float32 or float64"));
}

TEST_CASE("The CUDA kernels equal the host implementation", "[cuda]") {
    const torch::Device gpu(torch::kCUDA, 0);
    // The benchmark model's sizes (6 blocks, 128 filters, 50 Gaussians, 2,048 lengths) and a
    // small odd one.
    for (auto [K, F, G, T] : {std::make_tuple(6, 128, 50, 2048), std::make_tuple(2, 7, 3, 5)})
        for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
            INFO("K F G T = " << K << " " << F << " " << G << " " << T << ", " << dtype);
            const Network n(K, F, G, T, 4);
            const Tensor basis = n.basis();
            const Tensor weights = torch::randn({K, T - 1, 4, F}, torch::kFloat64);
            std::vector<Tensor> host = withGrad(n, dtype, torch::kCPU), device = withGrad(n, dtype, gpu);
            const Tensor t = filterTables(host[0], host[1], host[2], host[3], basis, n.spacing, n.shift, dtype);
            const Tensor u =
                filterTables(device[0], device[1], device[2], device[3], basis.to(gpu), n.spacing, n.shift, dtype);
            REQUIRE(u.device() == gpu);
            // Float64 arithmetic either way; the matrix products sum in other orders.
            CHECK(relativeError(u, t) < (dtype == torch::kFloat64 ? 1e-12 : 1e-6));
            const std::vector<Tensor> g = gradients(t, weights, host), h = gradients(u, weights.to(gpu), device);
            for (size_t i = 0; i < g.size(); i++) {
                INFO("input " << i);
                CHECK(h[i].device() == gpu);
                CHECK(relativeError(h[i], g[i]) < (dtype == torch::kFloat64 ? 1e-12 : 1e-5));
            }
        }
}
