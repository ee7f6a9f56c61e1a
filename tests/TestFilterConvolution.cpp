// SPDX-License-Identifier: MIT
// The operator affinity::filter_convolution (plugin/ops). Test cases tagged [cpu] check the
// plain formula against independent scalar loops, an analytic case and finite differences;
// [cuda] ones (run with --platform CUDA [cuda]; exit 77 without a GPU) check the fused CUDA
// kernels against that formula and its autograd, in float64 and float32.
#include "FilterConvolution.h"
#include "TestSupport.h"
#include <ATen/record_function.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <torch/torch.h>
#if __has_include(<ATen/cuda/CUDAGraph.h>)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using AffinityPlugin::filterConvolution;
using AffinityPlugin::filterConvolutionReference;
using torch::Tensor;

namespace {

struct Case {
    Tensor x, neighbors, lengths, coefficients;
    double spacing;
};

// The cubics a + b t + c t^2 + d t^3 (t in [0,1) across a segment) that take the values y and
// the derivatives dy (per unit length) at the segments' ends: [S+1,F] -> [S,4,F].
Tensor hermiteCoefficients(const Tensor& y, const Tensor& dy, double spacing) {
    const int64_t S = y.size(0) - 1;
    const Tensor y0 = y.narrow(0, 0, S), y1 = y.narrow(0, 1, S);
    const Tensor m0 = dy.narrow(0, 0, S) * spacing, m1 = dy.narrow(0, 1, S) * spacing;
    return torch::stack({y0, m0, 3 * (y1 - y0) - 2 * m0 - m1, 2 * (y0 - y1) + m0 + m1}, 1);
}

// Random arguments with every kind of slot: neighbours, empty slots (-1), lengths past the
// last segment, and F not a multiple of the 32 lanes of a warp. The filter is smooth,
// sin(a_f r + b_f), as SchNet's filters are: in float32 a length is known to about
// 1e-7 of itself, and a filter that jumped between knots would turn that into large errors.
Case makeCase(torch::Device device, torch::ScalarType dtype, int64_t B = 2, int64_t N = 7, int64_t K = 5,
              int64_t F = 37, int64_t S = 8, double spacing = 0.25, uint64_t seed = 1) {
    torch::manual_seed(seed);
    const auto real = torch::TensorOptions().dtype(torch::kFloat64);
    Case c;
    c.spacing = spacing;
    const double end = spacing * S;
    c.x = torch::randn({B, N, F}, real);
    c.neighbors = torch::randint(0, N, {B, N, K}, torch::kLong);
    c.neighbors = torch::where(torch::rand({B, N, K}, real) < 0.2, torch::full_like(c.neighbors, -1), c.neighbors);
    c.lengths = torch::rand({B, N, K}, real) * end * 1.1;
    const Tensor r = torch::arange(S + 1, real).unsqueeze(1) * spacing;
    const Tensor frequency = 0.5 + 2.5 * torch::rand({1, F}, real), phase = 6.0 * torch::rand({1, F}, real);
    c.coefficients =
        hermiteCoefficients(torch::sin(frequency * r + phase), frequency * torch::cos(frequency * r + phase), spacing);
    for (Tensor* t : {&c.x, &c.lengths, &c.coefficients})
        *t = t->to(device, dtype);
    c.neighbors = c.neighbors.to(device);
    return c;
}

// The operator's definition, written out with scalar loops in double precision.
Tensor loops(const Case& c) {
    const Tensor x = c.x.cpu().to(torch::kFloat64), n = c.neighbors.cpu(), d = c.lengths.cpu().to(torch::kFloat64);
    const Tensor coefficients = c.coefficients.cpu().to(torch::kFloat64);
    const int64_t B = n.size(0), N = n.size(1), K = n.size(2), F = x.size(2), S = coefficients.size(0);
    auto xa = x.accessor<double, 3>();
    auto na = n.accessor<int64_t, 3>();
    auto da = d.accessor<double, 3>();
    auto ca = coefficients.accessor<double, 3>();
    Tensor out = torch::zeros({B, N, F}, torch::kFloat64);
    auto oa = out.accessor<double, 3>();
    const double h = c.spacing;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < N; i++)
            for (int64_t k = 0; k < K; k++) {
                const int64_t j = na[b][i][k];
                const double r = da[b][i][k];
                if (j < 0 || r >= h * S)
                    continue;
                const int64_t s = std::min<int64_t>(static_cast<int64_t>(r / h), S - 1);
                const double t = r / h - s;
                for (int64_t f = 0; f < F; f++) {
                    const double filter = ca[s][0][f] + ca[s][1][f] * t + ca[s][2][f] * t * t + ca[s][3][f] * t * t * t;
                    oa[b][i][f] += xa[b][j][f] * filter;
                }
            }
    return out;
}

double maxRelative(const Tensor& actual, const Tensor& expected) {
    const Tensor a = actual.cpu().to(torch::kFloat64), e = expected.cpu().to(torch::kFloat64);
    return ((a - e).abs().max() / e.abs().max().clamp_min(1e-300)).item<double>();
}

std::vector<Tensor> inputsOf(Case& c) {
    return {c.x, c.lengths, c.coefficients};
}

Tensor call(const Case& c) {
    return filterConvolution(c.x, c.neighbors, c.lengths, c.coefficients, c.spacing);
}

} // namespace

TEST_CASE("The plain formula equals scalar loops over the definition", "[cpu]") {
    Case c = makeCase(torch::kCPU, torch::kFloat64);
    c.coefficients = torch::randn_like(c.coefficients); // any cubics, not only smooth ones
    REQUIRE(maxRelative(call(c), loops(c)) < 1e-12);
}

TEST_CASE("A cubic filter is interpolated exactly", "[cpu]") {
    // Hermite interpolation reproduces cubics: from the values and slopes of
    // f(r) = 1 - 2r + 0.5r^2 + 0.3r^3 (scaled per feature) the convolution is sum_k x_j f(d_k).
    Case c = makeCase(torch::kCPU, torch::kFloat64, 1, 5, 4, 3, 10, 0.2);
    const Tensor r = torch::arange(11, torch::kFloat64).unsqueeze(1) * 0.2;
    const Tensor scale = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
    auto f = [&](const Tensor& d) { return (1 - 2 * d + 0.5 * d * d + 0.3 * d * d * d) * scale; };
    c.coefficients = hermiteCoefficients(f(r), (-2 + r + 0.9 * r * r) * scale, c.spacing);
    Tensor expected = torch::zeros({1, 5, 3}, torch::kFloat64);
    for (int64_t i = 0; i < 5; i++)
        for (int64_t k = 0; k < 4; k++) {
            const int64_t j = c.neighbors[0][i][k].item<int64_t>();
            const double d = c.lengths[0][i][k].item<double>();
            if (j >= 0 && d < 2.0)
                expected[0][i] += c.x[0][j] * f(torch::tensor({d}, torch::kFloat64)).squeeze(0);
        }
    REQUIRE(maxRelative(call(c), expected) < 1e-13);
}

TEST_CASE("The plain formula's gradients equal finite differences of the loops", "[cpu]") {
    Case c = makeCase(torch::kCPU, torch::kFloat64, 1, 4, 3, 5, 5, 0.3, 2);
    // Keep the lengths away from the table's knots and end, where the interpolant's second
    // derivative jumps and central differences lose accuracy.
    c.lengths = (c.lengths / c.spacing).floor() * c.spacing + c.spacing * (0.2 + 0.6 * torch::rand_like(c.lengths));
    c.lengths = torch::where(c.lengths > c.spacing * 4.9, c.lengths - c.spacing, c.lengths);
    const Tensor weights = torch::randn({1, 4, 5}, torch::kFloat64);
    std::vector<Tensor> inputs = inputsOf(c);
    for (Tensor& t : inputs)
        t.requires_grad_(true);
    const Tensor out = filterConvolution(inputs[0], c.neighbors, inputs[1], inputs[2], c.spacing);
    const auto grads = torch::autograd::grad({(out * weights).sum()}, inputs);
    const double step = 1e-6;
    for (size_t which = 0; which < inputs.size(); which++) {
        INFO("input " << which << " (x, lengths, coefficients)");
        const Tensor base = inputs[which].detach();
        Tensor numeric = torch::zeros_like(base);
        for (int64_t e = 0; e < base.numel(); e++) {
            auto objective = [&](double delta) {
                Case moved = c;
                std::vector<Tensor*> fields = {&moved.x, &moved.lengths, &moved.coefficients};
                *fields[which] = base.clone();
                fields[which]->view(-1)[e] += delta;
                return (loops(moved) * weights).sum().item<double>();
            };
            numeric.view(-1)[e] = (objective(step) - objective(-step)) / (2 * step);
        }
        REQUIRE(maxRelative(grads[which], numeric) < 1e-7);
    }
}

TEST_CASE("Bad arguments give errors that name the operator and the problem", "[cpu]") {
    Case c = makeCase(torch::kCPU, torch::kFloat64);
    Case wrong = c;
    wrong.neighbors = c.neighbors.to(torch::kInt32);
    REQUIRE_THROWS_WITH(call(wrong), Catch::Contains("filter_convolution") && Catch::Contains("int64"));
    wrong = c;
    wrong.coefficients = c.coefficients.narrow(2, 0, 5);
    REQUIRE_THROWS_WITH(call(wrong), Catch::Contains("coefficients must be [S,4,F]"));
    wrong = c;
    wrong.coefficients = c.coefficients.to(torch::kFloat32);
    REQUIRE_THROWS_WITH(call(wrong), Catch::Contains("one floating-point type"));
    wrong = c;
    wrong.spacing = 0.0;
    REQUIRE_THROWS_WITH(call(wrong), Catch::Contains("spacing must be positive"));
    wrong = c;
    wrong.lengths = c.lengths.narrow(2, 0, 2);
    REQUIRE_THROWS_WITH(call(wrong), Catch::Contains("lengths must have the shape of neighbors"));
}

TEST_CASE("The fused CUDA kernels equal the plain formula, forward and backward", "[cuda]") {
    REQUIRE(AffinityPlugin::filterConvolutionHasCudaKernels());
    const torch::Device gpu(torch::kCUDA, 0);
    // A small odd case (float32 takes the scalar kernels: F is not a multiple of 4), the
    // benchmark model's shape (128 features, 32 slots, 2,047 segments), and one where the
    // float32 vector kernels make two passes over the features, the second with idle lanes,
    // and split an atom's 40 slots between its four warps; and one of 3 slots, fewer than the
    // warps that share them (the fourth warp has none).
    for (auto [dtype, tolerance] : {std::make_pair(torch::kFloat64, 1e-12), std::make_pair(torch::kFloat32, 1e-5)})
        for (auto [B, N, K, F, S] : {std::make_tuple(2, 7, 5, 37, 8), std::make_tuple(3, 200, 32, 128, 2047),
                                     std::make_tuple(2, 50, 40, 132, 16), std::make_tuple(2, 30, 3, 128, 16)}) {
            INFO("dtype " << dtype << ", B N K F S = " << B << " " << N << " " << K << " " << F << " " << S);
            Case c = makeCase(gpu, dtype, B, N, K, F, S, 10.0 / S, 3);
            // The reference is the plain formula in float64 on the same (rounded) inputs, so
            // that only the fused kernels' own rounding is measured.
            std::vector<Tensor> fused = inputsOf(c), plain;
            for (Tensor& t : fused) {
                t.requires_grad_(true);
                plain.push_back(t.detach().to(torch::kFloat64).requires_grad_(true));
            }
            const Tensor weights = torch::randn({B, N, F}, plain[0].options().requires_grad(false));
            const Tensor outFused = filterConvolution(fused[0], c.neighbors, fused[1], fused[2], c.spacing);
            const Tensor outPlain = filterConvolutionReference(plain[0], c.neighbors, plain[1], plain[2], c.spacing);
            REQUIRE(maxRelative(outFused, outPlain) < tolerance);
            if (dtype == torch::kFloat64)
                REQUIRE(maxRelative(outFused, loops(c)) < 1e-12);
            const auto gradFused = torch::autograd::grad({(outFused * weights.to(dtype)).sum()}, fused);
            const auto gradPlain = torch::autograd::grad({(outPlain * weights).sum()}, plain);
            // The coefficients' gradients sum ~10^5 terms of both signs per entry, in float32
            // atomics on the GPU: their rounding is relative to the sum of the terms' sizes,
            // not to the (smaller) sum, hence the wider float32 bound for them.
            for (size_t i = 0; i < fused.size(); i++) {
                INFO("gradient " << i << " (x, lengths, coefficients)");
                const double bound = dtype == torch::kFloat32 && i == 2 ? 1e-3 : 10 * tolerance;
                REQUIRE(maxRelative(gradFused[i], gradPlain[i]) < bound);
            }
        }
}

TEST_CASE("The float32 backward by segment sums long runs of one segment and their boundaries", "[cuda]") {
    // Asked for the coefficients' gradient, the float32 backward sorts the slots by segment
    // (in groups of poses) and sums each warp's run of slots of one segment in registers.
    // With 8 segments the runs of one segment are long, and every warp's run may cross a
    // segment's end; poses of 9,045 slots make groups of 14 poses; 132 features make two passes
    // over the features; the last run is partial. 16 poses (144,720 slots) take runs of 16
    // slots, 64 poses (578,880) runs of 64: the kernel shortens the runs of smaller calls. Also
    // run: only the lengths' and the features' gradients (the per-slot kernel), and the
    // coefficients' alone.
    const int64_t B = GENERATE(16, 64), N = 201, K = 45, F = 132, S = 8;
    INFO(B << " poses");
    Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat32, B, N, K, F, S, 10.0 / S, 6);
    std::vector<Tensor> fused = inputsOf(c), plain;
    for (Tensor& t : fused) {
        plain.push_back(t.detach().to(torch::kFloat64).requires_grad_(true));
        t.requires_grad_(true);
    }
    const Tensor weights = torch::randn({B, N, F}, plain[0].options().requires_grad(false));
    const Tensor outFused = filterConvolution(fused[0], c.neighbors, fused[1], fused[2], c.spacing);
    const Tensor outPlain = filterConvolutionReference(plain[0], c.neighbors, plain[1], plain[2], c.spacing);
    const Tensor lossFused = (outFused * weights.to(torch::kFloat32)).sum(), lossPlain = (outPlain * weights).sum();
    const auto expected = torch::autograd::grad({lossPlain}, plain);
    for (std::vector<size_t> asked : {std::vector<size_t>{0, 1, 2}, {0, 1}, {2}}) {
        std::vector<Tensor> inputs;
        for (size_t i : asked)
            inputs.push_back(fused[i]);
        const auto grads = torch::autograd::grad({lossFused}, inputs, {}, /*retain_graph=*/true);
        for (size_t n = 0; n < asked.size(); n++) {
            INFO("gradient " << asked[n] << " (x, lengths, coefficients) of " << asked.size());
            REQUIRE(maxRelative(grads[n], expected[asked[n]]) < (asked[n] == 2 ? 1e-3 : 1e-4));
        }
    }
}

TEST_CASE("A pose's float32 convolution and length gradient do not depend on the poses beside it", "[cuda]") {
    // One pose of 640 atoms is a small call, whose kernels split each atom's slots between
    // several warps; 16 poses (10,240 atoms) are a large one, where a warp takes all of an
    // atom's slots. Both sum the same ranges in the same order, so pose 0 must come out bitwise
    // the same, and its lengths' gradient (written per slot) too.
    const int64_t N = 640, K = 32, F = 128;
    Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat32, 16, N, K, F, 2047, 10.0 / 2047, 8);
    auto firstPose = [&](int64_t poses) {
        const Tensor x = c.x.narrow(0, 0, poses), lengths = c.lengths.narrow(0, 0, poses).clone().requires_grad_(true);
        const Tensor out = filterConvolution(x, c.neighbors.narrow(0, 0, poses), lengths, c.coefficients, c.spacing);
        const Tensor weights = torch::linspace(-1.0, 1.0, N * F, x.options()).view({1, N, F}).expand({poses, N, F});
        const Tensor lengthsGrad = torch::autograd::grad({(out * weights).sum()}, {lengths})[0];
        return std::make_pair(out[0], lengthsGrad[0]);
    };
    const auto [alone, alonesGrad] = firstPose(1);
    const auto [together, togethersGrad] = firstPose(16);
    REQUIRE(maxRelative(alone, loops(c).narrow(0, 0, 1)[0]) < 1e-5); // and both right
    REQUIRE(torch::equal(alone, together));
    REQUIRE(torch::equal(alonesGrad, togethersGrad));
}

namespace {

std::atomic<int> sortCalls{0};

// How many times the dispatcher ran aten::sort (on any thread: backward passes run on the
// autograd engine's own) while `work` ran.
template <typename Work> int sortsDuring(Work work) {
    sortCalls = 0;
    const auto handle = at::addGlobalCallback(
        at::RecordFunctionCallback([](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
            if (std::strcmp(fn.name(), "aten::sort") == 0)
                sortCalls++;
            return nullptr;
        }));
    work();
    at::removeCallback(handle);
    return sortCalls;
}

} // namespace

TEST_CASE("Convolutions over the same neighbours and lengths sort their slots once for all", "[cuda]") {
    // As in SchNet, whose interaction blocks all convolve over one set of edges: the second
    // convolution takes the first one's output and its own coefficients. Their float32
    // backward asks for the coefficients' gradients, so it takes the slots sorted by segment;
    // the order is made once when both get the same neighbour and length tensors, and once
    // for each when the lengths are a copy (equal values, another tensor).
    const int64_t B = 4, N = 100, F = 128;
    Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat32, B, N, 32, F, 64, 10.0 / 64, 9);
    const Tensor secondCoefficients = (c.coefficients.flip(0) * 0.5).contiguous();
    const Tensor weights = torch::randn({B, N, F}, c.x.options().dtype(torch::kFloat64));
    // The leaves: x, lengths and the two convolutions' coefficients.
    auto leaves = [&](torch::ScalarType dtype) {
        std::vector<Tensor> inputs{c.x, c.lengths, c.coefficients, secondCoefficients};
        for (Tensor& t : inputs)
            t = t.to(dtype, /*non_blocking=*/false, /*copy=*/true).requires_grad_(true);
        return inputs;
    };
    // The gradients of the leaves, the second convolution given `lengthsOfSecond(lengths)`.
    auto gradients = [&](auto convolution, const std::vector<Tensor>& inputs, auto lengthsOfSecond) {
        const Tensor first = convolution(inputs[0], c.neighbors, inputs[1], inputs[2], c.spacing);
        const Tensor second = convolution(first, c.neighbors, lengthsOfSecond(inputs[1]), inputs[3], c.spacing);
        return torch::autograd::grad({(second * weights.to(inputs[0].scalar_type())).sum()}, inputs);
    };
    auto same = [](const Tensor& lengths) { return lengths; };
    auto copy = [](const Tensor& lengths) { return lengths.clone(); };
    const auto expected = gradients(filterConvolutionReference, leaves(torch::kFloat64), same);
    auto check = [&](const std::vector<Tensor>& grads) {
        for (size_t i = 0; i < grads.size(); i++) {
            INFO("gradient " << i << " (x, lengths, first and second coefficients)");
            REQUIRE(maxRelative(grads[i], expected[i]) < (i >= 2 ? 1e-3 : 1e-4));
        }
    };
    // One convolution's backward by segment: how many sorts the dispatcher records for it.
    const int one = sortsDuring([&] {
        Tensor x = c.x.clone().requires_grad_(true), coefficients = c.coefficients.clone().requires_grad_(true);
        torch::autograd::grad({filterConvolution(x, c.neighbors, c.lengths, coefficients, c.spacing).sum()},
                              {coefficients});
    });
    REQUIRE(one >= 1);
    const std::vector<Tensor> inputs = leaves(torch::kFloat32);
    std::vector<Tensor> shared, copied, again;
    REQUIRE(sortsDuring([&] { shared = gradients(filterConvolution, inputs, same); }) == one);
    // A new forward pass over the very same tensors, the first pass's graph (which held the
    // order) gone, sorts again.
    REQUIRE(sortsDuring([&] { again = gradients(filterConvolution, inputs, same); }) == one);
    REQUIRE(sortsDuring([&] { copied = gradients(filterConvolution, inputs, copy); }) == 2 * one);
    check(shared);
    check(copied);
    check(again);
}

#if __has_include(<ATen/cuda/CUDAGraph.h>)
TEST_CASE("The fused kernels forward and backward can be captured in a CUDA graph", "[cuda]") {
    // The plugin replays its model calls, gradients included, as CUDA graphs: the backward
    // by segment (its keys, sort and kernel) must neither wait for the GPU nor read sizes back.
    // Two convolutions over the same edges, as in SchNet: the second one's backward, captured,
    // reads the order that the first one's made in the capture.
    Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat32, 4, 100, 32, 128, 64, 10.0 / 64, 7);
    std::vector<Tensor> fused = inputsOf(c), plain;
    for (Tensor& t : fused) {
        plain.push_back(t.detach().to(torch::kFloat64).requires_grad_(true));
        t.requires_grad_(true);
    }
    const Tensor weights = torch::randn({4, 100, 128}, plain[0].options().requires_grad(false));
    const Tensor weights32 = weights.to(torch::kFloat32);
    std::vector<Tensor> grads;
    auto body = [&] {
        const Tensor first = filterConvolution(fused[0], c.neighbors, fused[1], fused[2], c.spacing);
        const Tensor out = filterConvolution(first, c.neighbors, fused[1], fused[2], c.spacing);
        grads = torch::autograd::grad({(out * weights32).sum()}, fused);
    };
    torch::cuda::synchronize();
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    at::cuda::CUDAGraph graph;
    {
        const c10::cuda::CUDAStreamGuard guard(side);
        body(); // warm-up outside the capture, as LibTorch asks
        graph.capture_begin();
        body();
        graph.capture_end();
        for (Tensor& g : grads)
            g.zero_(); // what the replay writes is then the replay's
        graph.replay();
    }
    torch::cuda::synchronize();
    const Tensor firstPlain = filterConvolutionReference(plain[0], c.neighbors, plain[1], plain[2], c.spacing);
    const Tensor outPlain = filterConvolutionReference(firstPlain, c.neighbors, plain[1], plain[2], c.spacing);
    const auto expected = torch::autograd::grad({(outPlain * weights).sum()}, plain);
    for (size_t i = 0; i < fused.size(); i++) {
        INFO("gradient " << i << " (x, lengths, coefficients)");
        REQUIRE(maxRelative(grads[i], expected[i]) < (i == 2 ? 1e-3 : 1e-4));
    }
}
#endif

TEST_CASE("Float32 arrays that are not 16-byte aligned take the scalar kernels, with the same results", "[cuda]") {
    // A contiguous view that starts one element into its storage: the 16-byte vector kernels
    // would fault on it.
    auto misaligned = [](const Tensor& t) {
        const Tensor copy = torch::empty({t.numel() + 1}, t.options()).narrow(0, 1, t.numel()).view(t.sizes());
        return copy.copy_(t);
    };
    for (int which : {0, 2}) {
        INFO("misaligned input " << which << " (x, lengths, coefficients)");
        Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat32, 2, 30, 12, 64, 16, 0.3, 4);
        std::vector<Tensor> fused = inputsOf(c), plain;
        for (Tensor& t : fused) {
            plain.push_back(t.to(torch::kFloat64).requires_grad_(true));
            t.requires_grad_(true);
        }
        const Tensor shifted = misaligned(fused[which].detach()).requires_grad_(true);
        REQUIRE(reinterpret_cast<std::uintptr_t>(shifted.data_ptr()) % 16 != 0);
        std::vector<Tensor> arguments = fused;
        arguments[which] = shifted;
        const Tensor weights = torch::randn({2, 30, 64}, plain[0].options().requires_grad(false));
        const Tensor outFused = filterConvolution(arguments[0], c.neighbors, arguments[1], arguments[2], c.spacing);
        const Tensor outPlain = filterConvolutionReference(plain[0], c.neighbors, plain[1], plain[2], c.spacing);
        REQUIRE(maxRelative(outFused, outPlain) < 1e-5);
        const auto gradFused = torch::autograd::grad({(outFused * weights.to(torch::kFloat32)).sum()}, arguments);
        const auto gradPlain = torch::autograd::grad({(outPlain * weights).sum()}, plain);
        for (size_t i = 0; i < fused.size(); i++) {
            INFO("gradient " << i << " (x, lengths, coefficients)");
            REQUIRE(maxRelative(gradFused[i], gradPlain[i]) < (i == 2 ? 1e-3 : 1e-4));
        }
    }
}

TEST_CASE("The fused kernels compute only the gradients asked for, and refuse second derivatives", "[cuda]") {
    Case c = makeCase(torch::Device(torch::kCUDA, 0), torch::kFloat64);
    Tensor x = c.x.clone().requires_grad_(true);
    Tensor lengths = c.lengths.clone().requires_grad_(true);
    const Tensor out = filterConvolution(x, c.neighbors, lengths, c.coefficients, c.spacing);
    const auto onlyX = torch::autograd::grad({out.sum()}, {x}, {}, true);
    const Tensor plainX = x.detach().clone().requires_grad_(true);
    const auto expected = torch::autograd::grad(
        {filterConvolutionReference(plainX, c.neighbors, c.lengths, c.coefficients, c.spacing).sum()}, {plainX});
    REQUIRE(maxRelative(onlyX[0], expected[0]) < 1e-12);
    REQUIRE_THROWS_WITH(torch::autograd::grad({out.sum()}, {lengths}, {}, true, true),
                        Catch::Contains("second derivatives"));
}
