// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_CONVOLUTION_KERNELS_H_
#define OPENMM_AFFINITY_FILTER_CONVOLUTION_KERNELS_H_

// The CUDA kernels of affinity::filter_convolution (see FilterConvolution.h for the math),
// declared without LibTorch so that nvcc compiles them without LibTorch's headers. The
// launchers take raw device pointers of contiguous arrays and run on the given stream. In
// float32 with F a multiple of 4 and every feature-sized array 16-byte aligned they launch
// kernels that move 4 features per access; otherwise scalar ones. A float32 backward that asks
// for the coefficients' gradient takes the slots in the order of a sort by segment (the
// BySegment functions below).

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

/**
 * Whether launchBackwardBySegment can compute this float32 backward, which must ask for the
 * coefficients' gradient (F a multiple of 4, the feature-sized arrays 16-byte aligned, sizes
 * within 32-bit indices); where it cannot, launchBackward does.
 */
bool backwardBySegmentApplies(const Shape& shape, const float* features, const float* coefficients,
                              const float* outGrad, const float* featuresGrad, const float* coefficientsGrad);

/**
 * Writes each slot's sort key, int32 [B*N*K]: its segment within its group of poses, slots
 * that contribute nothing last. launchBackwardBySegment takes the permutation of a stable
 * ascending sort of these keys.
 */
cudaError_t launchSegmentKeys(const Shape& shape, const int64_t* neighbors, const float* lengths, int32_t* keys,
                              cudaStream_t stream);

/**
 * launchBackward's gradients (float32; the coefficients' one required), with the slots taken
 * in `order` (int64 [B*N*K], the sorted keys' permutation), so that the coefficients'
 * gradient is summed per run of slots of one segment before it is added to memory. Any
 * permutation of the slots gives the same gradients; this one makes the runs long.
 */
cudaError_t launchBackwardBySegment(const Shape& shape, const float* features, const int64_t* neighbors,
                                    const float* lengths, const float* coefficients, const float* outGrad,
                                    const int64_t* order, float* featuresGrad, float* lengthsGrad,
                                    float* coefficientsGrad, cudaStream_t stream);

} // namespace FilterConvolutionCuda
} // namespace AffinityPlugin

#endif
