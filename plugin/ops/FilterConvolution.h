// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_CONVOLUTION_H_
#define OPENMM_AFFINITY_FILTER_CONVOLUTION_H_

#include "AffinityExport.h"
#include <torch/types.h>

namespace AffinityPlugin {

/**
 * The continuous-filter convolution of SchNet-like models with a filter given as a piecewise
 * cubic of the edge length, the TorchScript operator affinity::filter_convolution:
 *
 *     out[b,i,f] = sum_k  x[b, j, f] * P_f(d_bik),   j = neighbors[b,i,k]
 *     P_f(d) = c[s,0,f] + c[s,1,f] t + c[s,2,f] t^2 + c[s,3,f] t^3,   s = floor(d / spacing),
 *                                                                     t = d / spacing - s
 *
 * on S segments covering [0, S*spacing). Slots with a negative neighbour index, and lengths
 * outside that range, contribute nothing; a filter that ends with a cutoff envelope is zero
 * there anyway.
 *
 * A filter that depends on the edge only through its length (SchNet's filter network times
 * its cosine cutoff) is thus evaluated on S+1 lengths per call instead of on every edge (the
 * caller turns values and derivatives there into each segment's cubic, best in double
 * precision: the coefficients then keep the derivative accurate in float32), and on CUDA the
 * per-edge filters [B,N,K,F] are never materialised: one fused kernel reads the coefficients
 * and the neighbours' features and sums. Elsewhere (CPU) the operator is the same formula in
 * plain LibTorch operations. It is differentiable with respect to x, lengths and
 * coefficients (once on CUDA; second derivatives there give an error). On CUDA, calls that
 * pass the very same neighbors and lengths tensors (a SchNet's blocks, which convolve over the
 * same edges) share the float32 backward's sort of the slots by segment: pass one tensor of
 * each to all of them, not a fresh copy per call.
 *
 * @param features      x, [B,N,F] float32 or float64
 * @param neighbors     int64 [B,N,K], atom indices within the pose, -1 for an empty slot
 * @param lengths       [B,N,K], the edge lengths, in the unit of spacing
 * @param coefficients  [S,4,F], the cubic of each segment and feature (S >= 1)
 * @param spacing       the segments' length
 * @return [B,N,F]
 */
OPENMM_EXPORT_AFFINITY torch::Tensor filterConvolution(const torch::Tensor& features, const torch::Tensor& neighbors,
                                                       const torch::Tensor& lengths, const torch::Tensor& coefficients,
                                                       double spacing);

/**
 * The operator's plain-LibTorch formula, whatever the device: the reference the fused CUDA
 * kernels are tested against, and what the operator runs off CUDA.
 */
OPENMM_EXPORT_AFFINITY torch::Tensor filterConvolutionReference(const torch::Tensor& features,
                                                                const torch::Tensor& neighbors,
                                                                const torch::Tensor& lengths,
                                                                const torch::Tensor& coefficients, double spacing);

/** Whether this build has the fused CUDA kernels of the operator. */
OPENMM_EXPORT_AFFINITY bool filterConvolutionHasCudaKernels();

} // namespace AffinityPlugin

#endif
