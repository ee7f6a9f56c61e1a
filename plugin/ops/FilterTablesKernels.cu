// SPDX-License-Identifier: MIT
// The element-wise stages of affinity::filter_tables on CUDA: one thread per index of a stage,
// each running the stage's function of FilterTableMath.h, so that the host loops and these
// kernels compute the same expressions.
#include "FilterTablesKernels.h"
#include <climits>
#include <cstdint>

namespace AffinityPlugin {
namespace FilterTablesCuda {
namespace {

constexpr int kThreads = 256;

unsigned blocksFor(int64_t count) {
    return (unsigned)((count + kThreads - 1) / kThreads);
}

// Thread i's entry of rows x K x F, in 32-bit arithmetic (the launchers refuse larger calls):
// 64-bit division costs a GPU far more.
__device__ inline FilterTableMath::Index indexOf(const Shape& s, uint32_t i) {
    const uint32_t filters = (uint32_t)s.filters, blocks = (uint32_t)s.blocks, rest = i / filters;
    return {(int64_t)(rest / blocks), (int64_t)(rest % blocks), (int64_t)(i % filters)};
}

__global__ void activationsKernel(Shape s, const double* hidden, const double* firstBias, double* acts, int64_t count) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count)
        FilterTableMath::activations(s, hidden, firstBias, acts, indexOf(s, (uint32_t)i));
}

template <typename Out>
__global__ void cubicsKernel(Shape s, const double* linear, const double* secondBias, const double* basis, Out* table,
                             int64_t count) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count)
        FilterTableMath::cubics(s, linear, secondBias, basis, table, indexOf(s, (uint32_t)i));
}

template <typename Grad>
__global__ void cubicsAdjointKernel(Shape s, const Grad* tableGrad, const double* basis, double* linearGrad,
                                    int64_t count) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count)
        FilterTableMath::cubicsAdjoint(s, tableGrad, basis, linearGrad, indexOf(s, (uint32_t)i));
}

__global__ void activationsAdjointKernel(Shape s, double* hidden, const double* firstBias, const double* actsGrad,
                                         int64_t count) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count)
        FilterTableMath::activationsAdjoint(s, hidden, firstBias, actsGrad, indexOf(s, (uint32_t)i));
}

} // namespace

cudaError_t launchActivations(const Shape& s, const double* hidden, const double* firstBias, double* acts,
                              cudaStream_t stream) {
    const int64_t count = s.points * s.blocks * s.filters;
    if (count > INT32_MAX)
        return cudaErrorInvalidValue;
    activationsKernel<<<blocksFor(count), kThreads, 0, stream>>>(s, hidden, firstBias, acts, count);
    return cudaGetLastError();
}

template <typename Out>
cudaError_t launchCubics(const Shape& s, const double* linear, const double* secondBias, const double* basis,
                         Out* table, cudaStream_t stream) {
    const int64_t count = s.blocks * (s.points - 1) * s.filters;
    if (count > INT32_MAX)
        return cudaErrorInvalidValue;
    cubicsKernel<Out><<<blocksFor(count), kThreads, 0, stream>>>(s, linear, secondBias, basis, table, count);
    return cudaGetLastError();
}

template <typename Grad>
cudaError_t launchCubicsAdjoint(const Shape& s, const Grad* tableGrad, const double* basis, double* linearGrad,
                                cudaStream_t stream) {
    const int64_t count = s.blocks * s.points * s.filters;
    if (count > INT32_MAX)
        return cudaErrorInvalidValue;
    cubicsAdjointKernel<Grad><<<blocksFor(count), kThreads, 0, stream>>>(s, tableGrad, basis, linearGrad, count);
    return cudaGetLastError();
}

cudaError_t launchActivationsAdjoint(const Shape& s, double* hidden, const double* firstBias, const double* actsGrad,
                                     cudaStream_t stream) {
    const int64_t count = s.points * s.blocks * s.filters;
    if (count > INT32_MAX)
        return cudaErrorInvalidValue;
    activationsAdjointKernel<<<blocksFor(count), kThreads, 0, stream>>>(s, hidden, firstBias, actsGrad, count);
    return cudaGetLastError();
}

template cudaError_t launchCubics<float>(const Shape&, const double*, const double*, const double*, float*,
                                         cudaStream_t);
template cudaError_t launchCubics<double>(const Shape&, const double*, const double*, const double*, double*,
                                          cudaStream_t);
template cudaError_t launchCubicsAdjoint<float>(const Shape&, const float*, const double*, double*, cudaStream_t);
template cudaError_t launchCubicsAdjoint<double>(const Shape&, const double*, const double*, double*, cudaStream_t);

} // namespace FilterTablesCuda
} // namespace AffinityPlugin
