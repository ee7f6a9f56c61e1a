// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_CONVOLUTION_KERNELS_H_
#define OPENMM_AFFINITY_FILTER_CONVOLUTION_KERNELS_H_

// The CUDA kernels of affinity::filter_convolution (see FilterConvolution.h for the math),
// declared without LibTorch so that nvcc compiles them without LibTorch's headers. The
// launchers take raw device pointers of contiguous arrays and run on the given stream. In
// float32 with F a multiple of 4 and every feature-sized array 16-byte aligned they launch
// kernels that move 4 features per access; otherwise scalar ones.

#include <cstdint>
#include <cuda_runtime_api.h>

namespace AffinityPlugin {
namespace FilterConvolutionCuda {

/** The sizes of one call: B poses of N atoms, K neighbour slots, F features, S segments. */
struct Shape {
    int64_t poses, atoms, slots, features, segments;
    double spacing;
};

/** out[b,i,f] = sum_k x[b, j_bik, f] * P_f(d_bik), P the piecewise cubic of the coefficients. */
template <typename Real>
cudaError_t launchForward(const Shape& shape, const Real* features, const int64_t* neighbors, const Real* lengths,
                          const Real* coefficients, Real* out, cudaStream_t stream);

/**
 * The gradients of the forward with respect to features, lengths and coefficients, given the
 * gradient of its output. A null output pointer skips that gradient. The feature and
 * coefficient gradients are accumulated (atomically) and must be zeroed by the caller; the
 * length gradient is written for every slot (zero for empty ones).
 */
template <typename Real>
cudaError_t launchBackward(const Shape& shape, const Real* features, const int64_t* neighbors, const Real* lengths,
                           const Real* coefficients, const Real* outGrad, Real* featuresGrad, Real* lengthsGrad,
                           Real* coefficientsGrad, cudaStream_t stream);

} // namespace FilterConvolutionCuda
} // namespace AffinityPlugin

#endif
