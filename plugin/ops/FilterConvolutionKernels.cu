// SPDX-License-Identifier: MIT
// The CUDA kernels of affinity::filter_convolution. One warp handles one atom of one pose:
// it walks the atom's K neighbour slots (the same slot for every lane, so branches do not
// diverge) while its lanes stride over the F features, so that every read of a segment's
// coefficients or of a neighbour's features is one coalesced line. Nothing of size
// B x N x K x F is ever written: that tensor is what makes the plain-PyTorch convolution
// memory-bound.
#include "FilterConvolutionKernels.h"

namespace AffinityPlugin {
namespace FilterConvolutionCuda {
namespace {

constexpr int kWarp = 32;
// Small blocks spread one pose's atoms over many SMs (an MD step evaluates a single pose).
constexpr int kWarpsPerBlock = 4;
// Features per lane in one pass of the forward kernel.
constexpr int kChunks = 4;

/** Where a length falls: its segment and the position t in [0,1) inside it. */
template <typename Real> struct Segment {
    int64_t index;
    Real t;
};

/** Returns false where the slot holds no neighbour or the length is outside [0, S*spacing). */
template <typename Real> __device__ bool locate(const Shape& shape, int64_t neighbor, Real length, Segment<Real>& seg) {
    const Real spacing = static_cast<Real>(shape.spacing);
    if (neighbor < 0 || !(length < spacing * static_cast<Real>(shape.segments)) || !(length >= 0))
        return false;
    const Real u = length / spacing;
    int64_t index = static_cast<int64_t>(floor(u));
    index = index < 0 ? 0 : (index > shape.segments - 1 ? shape.segments - 1 : index);
    seg.index = index;
    seg.t = u - static_cast<Real>(index);
    return true;
}

/** The segment's four coefficients of feature f: a + b t + c t^2 + d t^3. */
template <typename Real> struct Cubic {
    Real a, b, c, d;
    __device__ Cubic(const Real* coefficients, int64_t segment, int64_t F, int64_t f) {
        const Real* p = coefficients + segment * 4 * F + f;
        a = p[0];
        b = p[F];
        c = p[2 * F];
        d = p[3 * F];
    }
    __device__ Real value(Real t) const {
        return a + t * (b + t * (c + t * d));
    }
    /** d/dt; divide by the spacing for d/d(length). */
    __device__ Real slope(Real t) const {
        return b + t * (2 * c + 3 * t * d);
    }
};

template <typename Real>
__global__ void forwardKernel(Shape shape, const Real* __restrict__ features, const int64_t* __restrict__ neighbors,
                              const Real* __restrict__ lengths, const Real* __restrict__ coefficients,
                              Real* __restrict__ out) {
    const int64_t atom = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (atom >= shape.poses * shape.atoms)
        return;
    const int64_t F = shape.features, K = shape.slots;
    const Real* poseFeatures = features + (atom / shape.atoms) * shape.atoms * F;
    // Each lane sums kChunks features at once (128 with 32 lanes, SchNet's usual width), so a
    // slot's neighbour, length and segment are read and located once for all of them, and the
    // independent sums keep several loads in flight. Each feature's sum still runs over the
    // slots in order, so the result does not depend on kChunks.
    for (int64_t f0 = 0; f0 < F; f0 += kWarp * kChunks) {
        Real sum[kChunks] = {};
        for (int64_t k = 0; k < K; k++) {
            const int64_t j = neighbors[atom * K + k];
            Segment<Real> seg;
            if (!locate(shape, j, lengths[atom * K + k], seg))
                continue;
#pragma unroll
            for (int q = 0; q < kChunks; q++) {
                const int64_t f = f0 + q * kWarp + lane;
                if (f < F)
                    sum[q] += poseFeatures[j * F + f] * Cubic<Real>(coefficients, seg.index, F, f).value(seg.t);
            }
        }
#pragma unroll
        for (int q = 0; q < kChunks; q++) {
            const int64_t f = f0 + q * kWarp + lane;
            if (f < F)
                out[atom * F + f] = sum[q];
        }
    }
}

template <typename Real> __device__ Real warpSum(Real value) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
        value += __shfl_down_sync(0xffffffffu, value, offset);
    return value;
}

template <typename Real>
__global__ void backwardKernel(Shape shape, const Real* __restrict__ features, const int64_t* __restrict__ neighbors,
                               const Real* __restrict__ lengths, const Real* __restrict__ coefficients,
                               const Real* __restrict__ outGrad, Real* featuresGrad, Real* lengthsGrad,
                               Real* coefficientsGrad) {
    const int64_t atom = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (atom >= shape.poses * shape.atoms)
        return;
    const int64_t F = shape.features, K = shape.slots;
    const int64_t poseStart = (atom / shape.atoms) * shape.atoms;
    const Real inverseSpacing = static_cast<Real>(1.0 / shape.spacing);
    for (int64_t k = 0; k < K; k++) {
        const int64_t j = neighbors[atom * K + k];
        Segment<Real> seg;
        const bool used = locate(shape, j, lengths[atom * K + k], seg);
        Real lengthGrad = 0;
        if (used) {
            const Real t = seg.t;
            for (int64_t f = lane; f < F; f += kWarp) {
                const Real g = outGrad[atom * F + f];
                const Cubic<Real> cubic(coefficients, seg.index, F, f);
                if (featuresGrad != nullptr)
                    atomicAdd(featuresGrad + (poseStart + j) * F + f, g * cubic.value(t));
                const Real gx = g * features[(poseStart + j) * F + f];
                if (lengthsGrad != nullptr)
                    lengthGrad += gx * cubic.slope(t);
                if (coefficientsGrad != nullptr) {
                    Real* p = coefficientsGrad + seg.index * 4 * F + f;
                    atomicAdd(p, gx);
                    atomicAdd(p + F, gx * t);
                    atomicAdd(p + 2 * F, gx * t * t);
                    atomicAdd(p + 3 * F, gx * t * t * t);
                }
            }
        }
        if (lengthsGrad != nullptr) {
            lengthGrad = warpSum(lengthGrad);
            if (lane == 0)
                lengthsGrad[atom * K + k] = lengthGrad * inverseSpacing;
        }
    }
}

unsigned int blocksFor(const Shape& shape) {
    const int64_t warps = shape.poses * shape.atoms;
    return static_cast<unsigned int>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

} // namespace

template <typename Real>
cudaError_t launchForward(const Shape& shape, const Real* features, const int64_t* neighbors, const Real* lengths,
                          const Real* coefficients, Real* out, cudaStream_t stream) {
    if (shape.poses * shape.atoms == 0)
        return cudaSuccess;
    forwardKernel<Real><<<blocksFor(shape), kWarp * kWarpsPerBlock, 0, stream>>>(shape, features, neighbors, lengths,
                                                                                 coefficients, out);
    return cudaGetLastError();
}

template <typename Real>
cudaError_t launchBackward(const Shape& shape, const Real* features, const int64_t* neighbors, const Real* lengths,
                           const Real* coefficients, const Real* outGrad, Real* featuresGrad, Real* lengthsGrad,
                           Real* coefficientsGrad, cudaStream_t stream) {
    if (shape.poses * shape.atoms == 0)
        return cudaSuccess;
    backwardKernel<Real><<<blocksFor(shape), kWarp * kWarpsPerBlock, 0, stream>>>(
        shape, features, neighbors, lengths, coefficients, outGrad, featuresGrad, lengthsGrad, coefficientsGrad);
    return cudaGetLastError();
}

#define AFFINITY_INSTANTIATE(Real)                                                                                     \
    template cudaError_t launchForward<Real>(const Shape&, const Real*, const int64_t*, const Real*, const Real*,      \
                                             Real*, cudaStream_t);                                                     \
    template cudaError_t launchBackward<Real>(const Shape&, const Real*, const int64_t*, const Real*, const Real*,     \
                                              const Real*, Real*, Real*, Real*, cudaStream_t);
AFFINITY_INSTANTIATE(float)
AFFINITY_INSTANTIATE(double)
#undef AFFINITY_INSTANTIATE

} // namespace FilterConvolutionCuda
} // namespace AffinityPlugin
