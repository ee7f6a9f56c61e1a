// SPDX-License-Identifier: MIT
#include "internal/FlatParameters.h"

using namespace AffinityPlugin;

std::vector<torch::Tensor> AffinityPlugin::parameterTensors(const AffinityModel& model) {
    std::vector<torch::Tensor> result;
    for (auto& [name, tensor] : model.trainableParameters())
        result.push_back(tensor);
    return result;
}

torch::Tensor AffinityPlugin::flatZeros(const std::vector<torch::Tensor>& parameters,
                                        const torch::TensorOptions& options) {
    int64_t size = 0;
    for (const auto& p : parameters)
        size += p.numel();
    return torch::zeros({size}, options.dtype(torch::kFloat64));
}

torch::Tensor AffinityPlugin::flattened(const std::vector<torch::Tensor>& gradients,
                                        const std::vector<torch::Tensor>& parameters) {
    std::vector<torch::Tensor> pieces;
    for (size_t i = 0; i < gradients.size(); i++) // a gradient has its parameter's dtype and device
        pieces.push_back(gradients[i].defined() ? gradients[i].reshape(-1)
                                                : torch::zeros({parameters[i].numel()}, parameters[i].options()));
    return torch::cat(pieces);
}

std::vector<torch::Tensor> AffinityPlugin::viewsOf(const torch::Tensor& flat,
                                                   const std::vector<torch::Tensor>& shapes) {
    std::vector<torch::Tensor> views;
    int64_t offset = 0;
    for (const auto& t : shapes) {
        views.push_back(flat.narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
    }
    return views;
}
