// SPDX-License-Identifier: MIT
#include "internal/BatchSizer.h"
#include "DeviceMemory.h"
#include "internal/FlatParameters.h"
#include <algorithm>
#include <cmath>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

using namespace AffinityPlugin;

namespace {

constexpr double BytesPerMiB = 1024.0 * 1024.0;
constexpr int MostPoses = 4096;
// The probe batches of the first estimate.
constexpr int SmallProbe = 1, LargeProbe = 5;
// Batch sizes measured at most per choice, the estimate's included.
constexpr int MostMeasured = 6;

// How many of `bytes` each fit in what a budget leaves after `fixed` bytes: 1 to `most`.
int fitting(double budgetMiB, int64_t fixed, int64_t bytes, int most) {
    return (int)std::clamp<double>(std::floor((budgetMiB * BytesPerMiB - (double)fixed) / (double)bytes), 1.0, most);
}

} // namespace

int64_t BatchSizer::peakOf(BoundModel& model, Probe kind, int poses) {
    auto known = peaks[kind].find(poses);
    if (known != peaks[kind].end())
        return known->second;
    // Random poses, drawn on the CPU: a CUDA generator can be left unusable by a graph capture
    // that a model with data-dependent shapes (nonzero, masked indexing) made fail.
    torch::Tensor x =
        torch::rand({poses, model.getNumAtoms(), 3}, torch::TensorOptions().dtype(model.dtype)).to(model.device);
    // TorchScript's unoptimised plan: the optimised one specialises on the first input shapes
    // it sees and runs further ones more slowly, and those shapes are the passes' to take. The
    // two plans' peaks differ by a few percent (the benchmark SchNet on the H200).
    torch::jit::GraphOptimizerEnabledGuard unoptimised(false);
    const int64_t peak = DeviceMemory::peakOf(model.device, [&] {
        const MatmulPrecisionScope precision = model.model.matmulScope(); // cuBLAS workspaces differ
        if (kind == Energies) {
            torch::NoGradGuard noGrad;
            model.energies(x, false);
            return;
        }
        // As the gradient passes differentiate at most: with respect to the parameters keeping
        // the autograd graph, then to the positions.
        const std::vector<torch::Tensor> parameters = parameterTensors(model.model);
        torch::Tensor positions = x.clone().requires_grad_(true);
        torch::Tensor e = model.energies(positions, false).sum();
        if (!parameters.empty())
            torch::autograd::grad({e}, parameters, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
        torch::autograd::grad({e}, {positions}, {}, false, false, /*allow_unused=*/true);
    });
    peaks[kind][poses] = peak;
    return peak;
}

const BatchSizer::CallMemory& BatchSizer::callMemory(BoundModel& model, Probe kind) {
    CallMemory& memory = estimated[kind];
    if (memory.perPose > 0)
        return memory;
    const int64_t one = peakOf(model, kind, SmallProbe), more = peakOf(model, kind, LargeProbe);
    // The allocator rounds blocks up (to 2 MiB for large ones), so for a small model the two
    // probes can differ by nothing: a pose never counts for less than a quarter of the larger
    // probe's average, which keeps a batch within 4 times what that average alone would choose.
    memory.perPose = std::max<int64_t>({1, (more - one) / (LargeProbe - SmallProbe), more / (4 * LargeProbe)});
    memory.fixed = std::max<int64_t>(0, more - memory.perPose * LargeProbe);
    return memory;
}

int BatchSizer::batchSize(BoundModel& model, int requested, double budgetMiB, bool withGradient) {
    if (!model.model.supportsBatch())
        return 1;
    if (requested > 0)
        return requested;
    // On the CPU, batching does not pay: the SchNet benchmark model (640 atoms, 2 cores) took
    // 175 ms per pose one at a time and 290 ms in batches of 16 (benchmarks/RESULTS.md), as
    // larger tensors leave the caches. A caller who knows better sets the batch size.
    if (!model.device.is_cuda())
        return 1;
    const Probe kind = withGradient ? Gradients : Energies;
    auto known = chosen[kind].find(budgetMiB);
    if (known != chosen[kind].end())
        return known->second;
    const CallMemory& memory = callMemory(model, kind);
    int batch = fitting(budgetMiB, memory.fixed, memory.perPose, MostPoses);
    // The estimate is measured, and while its call is over the budget the batch is interpolated
    // between it and the largest measured batch within the budget. A call's peak is convex in
    // the batch (the fixed part outweighs the poses in small batches, the poses' tensors large
    // ones), so the interpolated batch fits; it is measured too. A forward and backward call of
    // the benchmark SchNet at 2,700 atoms peaks at 223, 338, 1,400 and 3,898 MiB for 1, 5, 27
    // and 81 poses (H200): the small probes alone chose 27 poses for a budget of 1,024 MiB.
    const double budget = budgetMiB * BytesPerMiB;
    for (int measured = 1; batch > 1; measured++) {
        const int64_t peak = peakOf(model, kind, batch);
        if ((double)peak <= budget)
            break;
        // The largest measured batch below this one that fits (the probes' included).
        int fits = 0;
        int64_t fitsPeak = 0;
        for (const auto& [poses, bytes] : peaks[kind])
            if (poses < batch && (double)bytes <= budget)
                fits = poses, fitsPeak = bytes;
        if (fits == 0 || measured == MostMeasured) { // one pose if not even one fits
            batch = std::max(1, fits);
            break;
        }
        const double perPose = (double)(peak - fitsPeak) / (batch - fits);
        batch = std::clamp(fits + (int)std::floor((budget - (double)fitsPeak) / perPose), fits, batch - 1);
    }
    chosen[kind][budgetMiB] = batch;
    return batch;
}

int BatchSizer::sideBySide(BoundModel& model, int requested, double budgetMiB, int most) {
    if (requested > 0)
        return std::min(requested, most);
    if (!model.device.is_cuda())
        return 1;
    const CallMemory& memory = callMemory(model, Gradients);
    return fitting(budgetMiB, 0, memory.fixed + memory.perPose, most);
}
