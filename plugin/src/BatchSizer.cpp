// SPDX-License-Identifier: MIT
#include "internal/BatchSizer.h"
#include "DeviceMemory.h"
#include <algorithm>
#include <cmath>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

namespace {

// How many poses of `bytes` each fit in a budget: 1 to `most`.
int fitting(double budgetMiB, int64_t bytes, int most) {
    return (int)std::clamp<double>(std::floor(budgetMiB * 1024.0 * 1024.0 / bytes), 1.0, most);
}

} // namespace

int64_t BatchSizer::bytesPerPose(BoundModel& model, Probe kind) {
    int64_t& cached = measuredBytesPerPose[kind];
    if (cached > 0)
        return cached;
    const int64_t n = model.getNumAtoms();
    // On a GPU, measure: the peak allocation of a probe batch of random poses, per pose
    // (memory does not depend on where the atoms are).
    const int probe = kind == OnePoseGradients ? 1 : 4;
    // Drawn on the CPU: a CUDA generator can be left unusable by a graph capture that a model with
    // data-dependent shapes (nonzero, masked indexing) made fail.
    torch::Tensor x = torch::rand({probe, n, 3}, torch::TensorOptions().dtype(model.dtype)).to(model.device);
    const int64_t measured = DeviceMemory::peakOf(model.device, [&] {
        if (kind == Energies) {
            torch::NoGradGuard noGrad;
            model.energies(x, false);
            return;
        }
        torch::Tensor leaf = x.clone().requires_grad_(true);
        torch::Tensor e = model.energies(leaf, false);
        torch::autograd::grad({e.sum()}, {leaf});
    });
    cached = std::max<int64_t>(1, measured / probe);
    return cached;
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
    return fitting(budgetMiB, bytesPerPose(model, withGradient ? Gradients : Energies), 4096);
}

int BatchSizer::sideBySide(BoundModel& model, int requested, double budgetMiB, int most) {
    if (requested > 0)
        return std::min(requested, most);
    if (!model.device.is_cuda())
        return 1;
    return fitting(budgetMiB, bytesPerPose(model, OnePoseGradients), most);
}
