// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FLAT_PARAMETERS_H_
#define OPENMM_AFFINITY_FLAT_PARAMETERS_H_

#include "AffinityModel.h"
#include <torch/types.h>
#include <vector>

namespace AffinityPlugin {

/*
 * The gradient strategies keep sums over the trainable parameters as one flat float64 tensor: every parameter's
 * entries, flattened, one after another in the model's order. One tensor makes clearing, scaling, copying out and
 * checking the sums one operation each instead of one per parameter, which a small batch's evaluation on a GPU
 * cannot afford. These are the few operations on that layout.
 */

/** The model's trainable parameters, in its order (the layout of the flat sums). */
std::vector<torch::Tensor> parameterTensors(const AffinityModel& model);

/** A flat float64 tensor of zeros with one entry per entry of the parameters, on the device of `options`. */
torch::Tensor flatZeros(const std::vector<torch::Tensor>& parameters, const torch::TensorOptions& options);

/**
 * The gradients of the parameters flattened and concatenated in their order (in the parameters' dtype); an
 * undefined gradient (a parameter that took no part) gives zeros.
 */
torch::Tensor flattened(const std::vector<torch::Tensor>& gradients, const std::vector<torch::Tensor>& parameters);

/** Views of a flat tensor shaped like each of `shapes`, one after another. */
std::vector<torch::Tensor> viewsOf(const torch::Tensor& flat, const std::vector<torch::Tensor>& shapes);

} // namespace AffinityPlugin

#endif
