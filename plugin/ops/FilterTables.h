// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_TABLES_H_
#define OPENMM_AFFINITY_FILTER_TABLES_H_

#include "AffinityExport.h"
#include <torch/types.h>

namespace AffinityPlugin {

/**
 * The filter tables of K SchNet interaction blocks, the TorchScript operator
 * affinity::filter_tables: the piecewise cubics that affinity::filter_convolution interpolates
 * (see FilterConvolution.h), made from each block's filter network
 *
 *     W(r) = (W2 (softplus(W1 e(r) + b1) - shift) + b2) * C(r)
 *
 * (e the distance expansion, C the cutoff envelope, softplus with PyTorch's threshold of 20) on
 * T lengths r_t evenly spaced by `spacing`. From W and its derivative at both ends of each
 * segment it makes the Hermite cubic in t in [0,1) across the segment:
 *
 *     table[k,s] = [y0, m0, 3(y1-y0) - 2 m0 - m1, 2(y0-y1) + m0 + m1],
 *     y = W(r), m = spacing dW/dr, at r_s and r_{s+1}.
 *
 * The basis holds e and C at the lengths and, below them, their derivatives with respect to
 * r: W's derivative is exact, through the chain rule, not a difference of table entries.
 *
 * Everything is computed in double precision whatever the dtype of the weights and of the
 * result, so that the cubics keep the filter's derivative (forces) accurate in float32. It is
 * differentiable with respect to the four weight tensors (once). Unlike the same formula in
 * plain LibTorch operations, its backward keeps none of the intermediate [K,T,F] arrays from
 * the forward: it recomputes them, which holds a call's memory to the table and a few
 * transient arrays, and it runs in a handful of kernels on CUDA: two matrix products and two
 * element-wise kernels forward; five products (the first layer's twice, rather than kept), three
 * element-wise kernels and two sums backward; and the casts of float32 weights and gradients.
 *
 * @param firstWeight   W1, [K,F,G] (each block's first linear layer, PyTorch's [out,in])
 * @param firstBias     b1, [K,F]
 * @param secondWeight  W2, [K,F,F] ([out,in])
 * @param secondBias    b2, [K,F]
 * @param basis         [2,T,G+1] float64: e (G columns) and C (the last column) at the T
 *                      lengths, then their derivatives with respect to the length; T >= 2
 * @param spacing       the lengths' spacing
 * @param shift         the value subtracted from softplus (ln 2 for SchNet's shifted softplus)
 * @param dtype         the dtype of the result, float32 or float64
 * @return [K,T-1,4,F] in dtype, on the device of the inputs
 */
OPENMM_EXPORT_AFFINITY torch::Tensor filterTables(const torch::Tensor& firstWeight, const torch::Tensor& firstBias,
                                                  const torch::Tensor& secondWeight, const torch::Tensor& secondBias,
                                                  const torch::Tensor& basis, double spacing, double shift,
                                                  torch::ScalarType dtype);

} // namespace AffinityPlugin

#endif
