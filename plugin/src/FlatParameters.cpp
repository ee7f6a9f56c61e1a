// SPDX-License-Identifier: MIT
#include "internal/FlatParameters.h"
#include <c10/util/strides.h>

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
    TORCH_CHECK(flat.dim() == 1 && flat.is_contiguous(), "viewsOf: expected a contiguous 1-D tensor");
    std::vector<torch::Tensor> views;
    views.reserve(shapes.size());
    int64_t offset = flat.storage_offset();
    for (const auto& t : shapes) {
        // One as_strided per view: narrow then view cost the host several dispatches each, once
        // per parameter tensor of every combined-gradient call.
        views.push_back(flat.as_strided(t.sizes(), c10::contiguous_strides(t.sizes()), offset));
        offset += t.numel();
    }
    TORCH_CHECK(offset - flat.storage_offset() <= flat.numel(), "viewsOf: the shapes hold ",
                offset - flat.storage_offset(), " entries; the flat tensor has ", flat.numel());
    return views;
}
