// SPDX-License-Identifier: MIT
#include "internal/PoseGradientsPass.h"
#include "internal/FlatParameters.h"
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

PoseGradientsPass::PoseGradientsPass(const BoundModel& model, int batch, bool positionGradients, bool capture,
                                     GraphMemoryPool pool)
    : model(model), call(model.device, ModelEagerCalls, capture, pool), lanes(model.device, batch),
      parameters(parameterTensors(model.model)),
      input(torch::zeros({batch, model.getNumAtoms(), 3}, model.positionOptions())) {
    gradients = flatZeros(parameters, input.options()).unsqueeze(0).repeat({batch, 1});
    energy = torch::zeros({batch}, input.options());
    if (positionGradients)
        positionGradient = torch::zeros_like(input);
}

void PoseGradientsPass::evaluatePose(int pose) {
    torch::AutoGradMode gradMode(true);
    const MatmulPrecisionScope precision = model.model.matmulScope(); // for the backward pass
    torch::Tensor x = input.narrow(0, pose, 1);
    if (hasPositionGradients())
        x = x.detach().requires_grad_(true);
    const torch::Tensor e = model.energies(x, /*checkFinite=*/false);
    energy.narrow(0, pose, 1).copy_(e.detach());
    // One backward pass for dE/dθ and dE/dx together.
    std::vector<torch::Tensor> inputs = parameters;
    if (hasPositionGradients())
        inputs.push_back(x);
    std::vector<torch::Tensor> grads =
        torch::autograd::grad({e}, inputs, {torch::ones_like(e)}, false, false, /*allow_unused=*/true);
    if (hasPositionGradients()) {
        torch::Tensor slot = positionGradient.narrow(0, pose, 1);
        if (grads.back().defined())
            slot.copy_(grads.back());
        else
            slot.zero_(); // the energy does not depend on the positions
        grads.pop_back();
    }
    if (!parameters.empty())
        gradients[pose].copy_(flattened(grads, parameters));
}

void PoseGradientsPass::run(const torch::Tensor& positions) {
    input.copy_(positions);
    auto body = [&] { lanes.run(batchSize(), [&](int pose) { evaluatePose(pose); }); };
    if (!call.run(body))
        body(); // the model could not be captured: it stays eager
}
