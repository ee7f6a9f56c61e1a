// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_TABLES_KERNELS_H_
#define OPENMM_AFFINITY_FILTER_TABLES_KERNELS_H_

// The CUDA kernels of affinity::filter_tables: the element-wise stages of FilterTableMath.h,
// one thread per index, declared without LibTorch so that nvcc compiles them without its
// headers. The matrix products between the stages are LibTorch's (cuBLAS). Raw device pointers
// of contiguous arrays; every launch runs on the given stream.

#include "FilterTableMath.h"
#include <cuda_runtime_api.h>

namespace AffinityPlugin {
namespace FilterTablesCuda {

using FilterTableMath::Shape;

cudaError_t launchActivations(const Shape& shape, const double* hidden, const double* firstBias, double* acts,
                              cudaStream_t stream);

template <typename Out>
cudaError_t launchCubics(const Shape& shape, const double* linear, const double* secondBias, const double* basis,
                         Out* table, cudaStream_t stream);

template <typename Grad>
cudaError_t launchCubicsAdjoint(const Shape& shape, const Grad* tableGrad, const double* basis, double* linearGrad,
                                cudaStream_t stream);

cudaError_t launchActivationsAdjoint(const Shape& shape, double* hidden, const double* firstBias,
                                     const double* actsGrad, cudaStream_t stream);

} // namespace FilterTablesCuda
} // namespace AffinityPlugin

#endif
