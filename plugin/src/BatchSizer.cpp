// SPDX-License-Identifier: MIT
#include "internal/BatchSizer.h"
#include "DeviceMemory.h"
#include "internal/FlatParameters.h"
#include <algorithm>
#include <cmath>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

namespace {

// How many of `bytes` each fit in what a budget leaves after `fixed` bytes: 1 to `most`.
int fitting(double budgetMiB, int64_t fixed, int64_t bytes, int most) {
    return (int)std::clamp<double>(std::floor((budgetMiB * 1024.0 * 1024.0 - (double)fixed) / (double)bytes), 1.0,
                                   most);
}

} // namespace

const BatchSizer::CallMemory& BatchSizer::callMemory(BoundModel& model, Probe kind) {
    CallMemory& memory = measured[kind];
    if (memory.perPose > 0)
        return memory;
    // On a GPU, measure: the peak allocation of probe batches of random poses of two sizes.
    // Drawn on the CPU: a CUDA generator can be left unusable by a graph capture that a model with
    // data-dependent shapes (nonzero, masked indexing) made fail.
    auto peakOf = [&](int poses) {
        torch::Tensor x =
            torch::rand({poses, model.getNumAtoms(), 3}, torch::TensorOptions().dtype(model.dtype)).to(model.device);
        return DeviceMemory::peakOf(model.device, [&] {
            if (kind == Energies) {
                torch::NoGradGuard noGrad;
                model.energies(x, false);
                return;
            }
            // As the gradient passes differentiate: with respect to the positions and the parameters.
            std::vector<torch::Tensor> inputs = parameterTensors(model.model);
            inputs.push_back(x.clone().requires_grad_(true));
            torch::Tensor e = model.energies(inputs.back(), false);
            torch::autograd::grad({e.sum()}, inputs, {}, false, false, /*allow_unused=*/true);
        });
    };
    const int small = 1, large = 5;
    const int64_t one = peakOf(small), more = peakOf(large);
    // The allocator rounds blocks up (to 2 MiB for large ones), so for a small model the two
    // probes can differ by nothing: a pose never counts for less than a quarter of the larger
    // probe's average, which keeps a batch within 4 times what that average alone would choose.
    memory.perPose = std::max<int64_t>({1, (more - one) / (large - small), more / (4 * large)});
    memory.fixed = std::max<int64_t>(0, more - memory.perPose * large);
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
    const CallMemory& memory = callMemory(model, withGradient ? Gradients : Energies);
    return fitting(budgetMiB, memory.fixed, memory.perPose, 4096);
}

int BatchSizer::sideBySide(BoundModel& model, int requested, double budgetMiB, int most) {
    if (requested > 0)
        return std::min(requested, most);
    if (!model.device.is_cuda())
        return 1;
    const CallMemory& memory = callMemory(model, Gradients);
    return fitting(budgetMiB, 0, memory.fixed + memory.perPose, most);
}
