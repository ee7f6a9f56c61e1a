// SPDX-License-Identifier: MIT
#include "internal/BatchPasses.h"
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

namespace {

torch::Tensor batchInput(const BoundModel& model, int batch) {
    return torch::zeros({batch, model.getNumAtoms(), 3}, model.positionOptions());
}

} // namespace

EnergyBatchPass::EnergyBatchPass(const BoundModel& model, int batch, bool capture, GraphMemoryPool pool)
    : model(model), call(model.device, ModelEagerCalls, capture, pool), input(batchInput(model, batch)) {}

const torch::Tensor& EnergyBatchPass::run(const torch::Tensor& positions) {
    torch::NoGradGuard noGrad;
    input.copy_(positions);
    auto body = [&] { output = model.energies(input, /*checkFinite=*/false); };
    if (!call.run(body))
        body(); // the model could not be captured: it stays eager
    return output;
}

GradientBatchPass::GradientBatchPass(const BoundModel& model, int batch, bool positionGradients, bool capture,
                                     GraphMemoryPool pool)
    : model(model), call(model.device, ModelEagerCalls, capture, pool), parameters(parameterTensors(model.model)),
      input(batchInput(model, batch)) {
    // One buffer for all sums: clearing and copying them out are one operation each.
    sumBuffer = flatZeros(parameters, input.options());
    sums = viewsOf(sumBuffer, parameters);
    weights = torch::zeros({batch}, input.options());
    if (positionGradients)
        positionWeights = torch::zeros({batch}, input.options());
}

void GradientBatchPass::clear() {
    sumBuffer.zero_();
}

void GradientBatchPass::evaluate() {
    torch::AutoGradMode gradMode(true);
    const MatmulPrecisionScope precision = model.model.matmulScope(); // for the backward passes
    torch::Tensor x = hasPositionGradients() ? input.detach().requires_grad_(true) : input;
    torch::Tensor e = model.energies(x, /*checkFinite=*/false);
    energy = e.detach();
    if (!parameters.empty()) {
        auto grads = torch::autograd::grad({e}, parameters, {weights}, /*retain_graph=*/hasPositionGradients(), false,
                                           /*allow_unused=*/true);
        for (size_t i = 0; i < grads.size(); i++)
            if (grads[i].defined()) // a parameter that does not take part keeps a zero sum
                sums[i].add_(grads[i]);
    }
    if (hasPositionGradients())
        positionGradient = torch::autograd::grad({e}, {x}, {positionWeights})[0];
}

void GradientBatchPass::run(const torch::Tensor& positions, const torch::Tensor& w, const torch::Tensor& u) {
    input.copy_(positions);
    weights.copy_(w);
    if (hasPositionGradients())
        positionWeights.copy_(u);
    auto body = [&] { evaluate(); };
    if (!call.run(body))
        body(); // the model could not be captured: it stays eager
}
