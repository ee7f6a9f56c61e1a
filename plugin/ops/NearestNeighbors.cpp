// SPDX-License-Identifier: MIT
// The TorchScript operator affinity::nearest_neighbors (see NearestNeighbors.h): its schema,
// the host implementation, and on CUDA the kernel of NearestNeighborsKernels.cu.
#include "NearestNeighbors.h"
#include <algorithm>
#include <cmath>
#include <torch/library.h>
#include <torch/torch.h>
#include <utility>
#include <vector>
#ifdef AFFINITY_OPS_CUDA
#include "NearestNeighborsKernels.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using torch::Tensor;

namespace AffinityPlugin {
namespace {

const char* const kOperator = "affinity::nearest_neighbors";

void checkArguments(const Tensor& positions, const Tensor& partMask, double cutoff, int64_t maxNeighbors) {
    TORCH_CHECK(positions.dim() == 3 && positions.size(2) == 3, kOperator, ": positions must be [B,N,3]; got ",
                positions.sizes());
    TORCH_CHECK(positions.scalar_type() == torch::kFloat || positions.scalar_type() == torch::kDouble, kOperator,
                ": positions must be float32 or float64; got ", positions.scalar_type());
    TORCH_CHECK(partMask.dim() == 1 && partMask.size(0) == positions.size(1) && partMask.scalar_type() == torch::kBool,
                kOperator, ": part_mask must be bool [N] with N = ", positions.size(1), "; got ",
                partMask.scalar_type(), " ", partMask.sizes());
    TORCH_CHECK(partMask.device() == positions.device(), kOperator, ": part_mask must be on ", positions.device(),
                "; it is on ", partMask.device());
    TORCH_CHECK(cutoff > 0 && std::isfinite(cutoff), kOperator, ": cutoff must be positive and finite; got ", cutoff);
    TORCH_CHECK(maxNeighbors >= 0, kOperator, ": max_neighbors must not be negative; got ", maxNeighbors);
}

int64_t slotsFor(const Tensor& positions, int64_t maxNeighbors) {
    return std::max<int64_t>(0, std::min<int64_t>(maxNeighbors, positions.size(1) - 1));
}

template <typename Real>
void fillLists(const Real* x, const bool* part, int64_t B, int64_t N, int64_t K, double cutoff, bool separateParts,
               int64_t* index, bool* valid) {
    // The cutoff squared in double, then rounded to the positions' type, as a comparison of a
    // tensor with a Python number does.
    const Real cut2 = static_cast<Real>(cutoff * cutoff);
    std::vector<std::pair<Real, int64_t>> candidates;
    for (int64_t b = 0; b < B; b++) {
        const Real* p = x + b * N * 3;
        for (int64_t i = 0; i < N; i++) {
            candidates.clear();
            for (int64_t j = 0; j < N; j++) {
                if (j == i || (separateParts && part[j] != part[i]))
                    continue;
                const Real dx = p[3 * i] - p[3 * j], dy = p[3 * i + 1] - p[3 * j + 1], dz = p[3 * i + 2] - p[3 * j + 2];
                const Real d2 = dx * dx + dy * dy + dz * dz;
                if (d2 < cut2)
                    candidates.emplace_back(d2, j);
            }
            // Pairs compare by distance, then index: the order the operator promises.
            const int64_t taken = std::min<int64_t>(K, static_cast<int64_t>(candidates.size()));
            std::partial_sort(candidates.begin(), candidates.begin() + taken, candidates.end());
            int64_t* rowIndex = index + (b * N + i) * K;
            bool* rowValid = valid + (b * N + i) * K;
            for (int64_t k = 0; k < K; k++) {
                rowIndex[k] = k < taken ? candidates[k].second : i;
                rowValid[k] = k < taken;
            }
        }
    }
}

} // namespace

std::tuple<Tensor, Tensor> nearestNeighborsReference(const Tensor& positions, const Tensor& partMask, double cutoff,
                                                     int64_t maxNeighbors, bool separateParts) {
    checkArguments(positions, partMask, cutoff, maxNeighbors);
    const Tensor x = positions.detach().to(torch::kCPU).contiguous();
    const Tensor part = partMask.to(torch::kCPU).contiguous();
    const int64_t B = x.size(0), N = x.size(1), K = slotsFor(x, maxNeighbors);
    Tensor index = torch::empty({B, N, K}, torch::dtype(torch::kLong));
    Tensor valid = torch::empty({B, N, K}, torch::dtype(torch::kBool));
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "nearest_neighbors", [&] {
        fillLists<scalar_t>(x.data_ptr<scalar_t>(), part.data_ptr<bool>(), B, N, K, cutoff, separateParts,
                            index.data_ptr<int64_t>(), valid.data_ptr<bool>());
    });
    return {index.to(positions.device()), valid.to(positions.device())};
}

#ifdef AFFINITY_OPS_CUDA
namespace {

std::tuple<Tensor, Tensor> cudaNearestNeighbors(const Tensor& positions, const Tensor& partMask, double cutoff,
                                                int64_t maxNeighbors, bool separateParts) {
    checkArguments(positions, partMask, cutoff, maxNeighbors);
    const c10::cuda::CUDAGuard guard(positions.device());
    const Tensor x = positions.detach().contiguous();
    const Tensor part = partMask.contiguous();
    const int64_t B = x.size(0), N = x.size(1), K = slotsFor(x, maxNeighbors);
    TORCH_CHECK(N < (int64_t(1) << 31), kOperator, ": at most 2^31 - 1 atoms per pose on CUDA; got ", N);
    Tensor index = torch::empty({B, N, K}, x.options().dtype(torch::kLong));
    Tensor valid = torch::empty({B, N, K}, x.options().dtype(torch::kBool));
    const NearestNeighborsCuda::Shape shape{B, N, K, cutoff, separateParts};
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    cudaError_t status = cudaSuccess;
    if (x.scalar_type() == torch::kFloat)
        status = NearestNeighborsCuda::launch<float>(shape, x.data_ptr<float>(), part.data_ptr<bool>(),
                                                     index.data_ptr<int64_t>(), valid.data_ptr<bool>(), stream);
    else
        status = NearestNeighborsCuda::launch<double>(shape, x.data_ptr<double>(), part.data_ptr<bool>(),
                                                      index.data_ptr<int64_t>(), valid.data_ptr<bool>(), stream);
    TORCH_CHECK(status == cudaSuccess, kOperator, ": the kernel failed to launch: ", cudaGetErrorString(status));
    return {index, valid};
}

} // namespace
#endif

std::tuple<Tensor, Tensor> nearestNeighbors(const Tensor& positions, const Tensor& partMask, double cutoff,
                                            int64_t maxNeighbors, bool separateParts) {
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow(kOperator, "")
                         .typed<std::tuple<Tensor, Tensor>(const Tensor&, const Tensor&, double, int64_t, bool)>();
    return op.call(positions, partMask, cutoff, maxNeighbors, separateParts);
}

} // namespace AffinityPlugin

TORCH_LIBRARY_FRAGMENT(affinity, m) {
    m.def("nearest_neighbors(Tensor positions, Tensor part_mask, float cutoff, int max_neighbors, "
          "bool separate_parts) -> (Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(affinity, CPU, m) {
    m.impl("nearest_neighbors", &AffinityPlugin::nearestNeighborsReference);
}

#ifdef AFFINITY_OPS_CUDA
TORCH_LIBRARY_IMPL(affinity, CUDA, m) {
    m.impl("nearest_neighbors", &AffinityPlugin::cudaNearestNeighbors);
}
#endif
