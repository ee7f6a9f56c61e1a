// SPDX-License-Identifier: MIT
#include "internal/OnePassBatchPass.h"
#include "internal/FlatParameters.h"
#include "internal/HostEnergies.h"
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

namespace {

// Host weights into a tensor of the pass, outside any graph: the graphs read them from there.
void upload(const std::vector<double>& values, torch::Tensor& into) {
    into.copy_(torch::tensor(values, torch::kFloat64));
}

} // namespace

OnePassBatchPass::OnePassBatchPass(const BoundModel& model, int batch, OnePassSums sums, bool capture,
                                   GraphMemoryPool pool)
    : model(model), kind(sums), forwardHalf(model.device, ModelEagerCalls, capture, pool),
      backwardHalf(model.device, ModelEagerCalls, capture, pool), parameters(parameterTensors(model.model)),
      input(torch::zeros({batch, model.getNumAtoms(), 3}, model.positionOptions())) {
    const torch::TensorOptions options = input.options();
    flatA = flatZeros(parameters, options);
    weightsA = torch::zeros({batch}, options);
    if (kind.shifted) {
        flatB = flatZeros(parameters, options);
        weightsB = torch::zeros({batch}, options);
    }
    if (kind.poseTerms) {
        flatP = flatZeros(parameters, options);
        weightsP = torch::zeros({batch}, options);
    }
    rescaleFactor = torch::ones({}, options.dtype(torch::kFloat64));
}

void OnePassBatchPass::clear() {
    for (torch::Tensor* t : {&flatA, &flatB, &flatP})
        if (t->defined())
            t->zero_();
}

void OnePassBatchPass::evaluateForward() {
    torch::AutoGradMode gradMode(true);
    x = kind.positions ? input.detach().requires_grad_(true) : input;
    energy = model.energies(x, /*checkFinite=*/false);
    energyOut = energy.detach();
}

std::vector<double> OnePassBatchPass::forward(const torch::Tensor& positions) {
    input.copy_(positions);
    auto body = [&] { evaluateForward(); };
    if (!forwardHalf.run(body))
        body(); // the model could not be captured: it stays eager
    // The backward half replays the autograd graph of the forward half's capture: it may only be
    // captured with it.
    if (!forwardHalf.failure().empty())
        backwardHalf.stayEager("the forward half of the one-pass batch was not captured: " + forwardHalf.failure());
    return finiteEnergiesOnHost(model.model, energyOut);
}

void OnePassBatchPass::addWeighted(const torch::Tensor& weights, torch::Tensor& flat, bool retain) {
    if (parameters.empty())
        return;
    auto grads = torch::autograd::grad({energy}, parameters, {weights}, retain, false, /*allow_unused=*/true);
    flat.add_(flattened(grads, parameters)); // a parameter that does not take part adds zeros
}

void OnePassBatchPass::evaluateBackward() {
    torch::AutoGradMode gradMode(true);
    const MatmulPrecisionScope precision = model.model.matmulScope();
    // A captured forward half's graph serves all its replays: every backward pass keeps it. An
    // eager one's is freed by the last.
    const bool keep = forwardHalf.isCaptured();
    flatA.mul_(rescaleFactor);
    addWeighted(weightsA, flatA, keep || kind.shifted || kind.poseTerms || kind.positions);
    if (kind.shifted) {
        flatB.mul_(rescaleFactor);
        addWeighted(weightsB, flatB, keep || kind.poseTerms || kind.positions);
    }
    if (kind.poseTerms)
        addWeighted(weightsP, flatP, keep || kind.positions);
    if (kind.positions)
        positionGradient = torch::autograd::grad({energy}, {x}, {torch::ones_like(energy)}, keep)[0];
}

void OnePassBatchPass::backward(double rescale, const std::vector<double>& a, const std::vector<double>& b,
                                const std::vector<double>& p) {
    rescaleFactor.fill_(rescale);
    upload(a, weightsA);
    if (kind.shifted)
        upload(b, weightsB);
    if (kind.poseTerms)
        upload(p, weightsP);
    auto body = [&] { evaluateBackward(); };
    if (!backwardHalf.run(body))
        body();
}
