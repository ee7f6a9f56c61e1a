// SPDX-License-Identifier: MIT
// The CUDA kernel of affinity::nearest_neighbors. One warp handles one atom of one pose: its
// lanes stride over the pose's atoms and append those within the cutoff to a list in shared
// memory (a ballot gives each lane its place, so the list keeps index order), then K rounds
// of a warp arg-min over that list pick the nearest, next nearest, and so on. A dense pocket
// has a few hundred atoms within 1 nm, so a round reads about ten entries per lane, and
// nothing of size N x N is ever written. An atom with more candidates than the list holds
// (very dense or very large systems) takes the slow path: each round scans every atom for the
// nearest one after the previous pick, which is exact too.
#include "NearestNeighborsKernels.h"

namespace AffinityPlugin {
namespace NearestNeighborsCuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 4;
constexpr unsigned kFull = 0xffffffffu;
constexpr int kNoAtom = 0x7fffffff;

/** Candidates kept per atom: 32 KB of shared memory per block in float32, 24 KB in float64. */
template <typename Real> struct Capacity;
template <> struct Capacity<float> {
    static constexpr int value = 1024;
    static __device__ float infinity() {
        return __int_as_float(0x7f800000);
    }
};
template <> struct Capacity<double> {
    static constexpr int value = 512;
    static __device__ double infinity() {
        return __longlong_as_double(0x7ff0000000000000ll);
    }
};

/** (xi-xj)^2 + (yi-yj)^2 + (zi-zj)^2 in this order and without fused multiply-adds, so that
 *  it equals the host reference and the plain-PyTorch distance matrix bit for bit. */
__device__ float squared(float dx, float dy, float dz) {
    return __fadd_rn(__fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy)), __fmul_rn(dz, dz));
}
__device__ double squared(double dx, double dy, double dz) {
    return __dadd_rn(__dadd_rn(__dmul_rn(dx, dx), __dmul_rn(dy, dy)), __dmul_rn(dz, dz));
}

/** Whether (d, j) comes before (bestD, bestJ): nearer, or as near with a lower index. */
template <typename Real> __device__ bool before(Real d, int j, Real bestD, int bestJ) {
    return d < bestD || (d == bestD && j < bestJ);
}

/** The warp's lexicographic minimum of (d, j, slot); every lane gets it. */
template <typename Real> __device__ void warpArgMin(Real& d, int& j, int& slot) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
        const Real otherD = __shfl_xor_sync(kFull, d, offset);
        const int otherJ = __shfl_xor_sync(kFull, j, offset);
        const int otherSlot = __shfl_xor_sync(kFull, slot, offset);
        if (before(otherD, otherJ, d, j)) {
            d = otherD;
            j = otherJ;
            slot = otherSlot;
        }
    }
}

template <typename Real>
__global__ void nearestKernel(Shape shape, const Real* __restrict__ positions, const bool* __restrict__ part,
                              int64_t* __restrict__ index, bool* __restrict__ valid) {
    constexpr int C = Capacity<Real>::value;
    __shared__ Real listD[kWarpsPerBlock][C];
    __shared__ int listJ[kWarpsPerBlock][C];
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
    if (row >= shape.poses * shape.atoms)
        return; // the whole warp: row is the same for its lanes
    const int N = static_cast<int>(shape.atoms), K = static_cast<int>(shape.slots);
    const int i = static_cast<int>(row % N);
    const Real* p = positions + (row / N) * N * 3;
    const Real xi = p[3 * i], yi = p[3 * i + 1], zi = p[3 * i + 2];
    const Real cut2 = static_cast<Real>(shape.cutoff * shape.cutoff);
    const Real infinity = Capacity<Real>::infinity();
    const bool ownPart = part[i];
    int64_t* outIndex = index + row * K;
    bool* outValid = valid + row * K;

    // The candidates: every atom j != i of an allowed part strictly within the cutoff.
    auto candidate = [&](int j, Real& d) {
        if (j >= N || j == i || (shape.separateParts && part[j] != ownPart))
            return false;
        d = squared(xi - p[3 * j], yi - p[3 * j + 1], zi - p[3 * j + 2]);
        return d < cut2;
    };
    int count = 0;
    for (int first = 0; first < N; first += kWarp) {
        Real d = 0;
        const bool within = candidate(first + lane, d);
        const unsigned ballot = __ballot_sync(kFull, within);
        const int place = count + __popc(ballot & ((1u << lane) - 1u));
        if (within && place < C) {
            listD[warp][place] = d;
            listJ[warp][place] = first + lane;
        }
        count += __popc(ballot);
    }
    __syncwarp();
    int taken = 0;
    if (count <= C) {
        const int rounds = count < K ? count : K;
        for (; taken < rounds; taken++) {
            Real bestD = infinity;
            int bestJ = kNoAtom, bestSlot = -1;
            for (int c = lane; c < count; c += kWarp) {
                const int j = listJ[warp][c];
                if (j >= 0 && before(listD[warp][c], j, bestD, bestJ)) {
                    bestD = listD[warp][c];
                    bestJ = j;
                    bestSlot = c;
                }
            }
            warpArgMin(bestD, bestJ, bestSlot);
            if (lane == 0) {
                outIndex[taken] = bestJ;
                outValid[taken] = true;
                listJ[warp][bestSlot] = -1; // taken
            }
            __syncwarp();
        }
    } else {
        // Too many candidates for the list: each round takes the nearest atom after the
        // previous pick in (distance, index) order, scanning all atoms again.
        Real lastD = -infinity;
        int lastJ = -1;
        for (; taken < K; taken++) {
            Real bestD = infinity;
            int bestJ = kNoAtom, bestSlot = 0;
            for (int j = lane; j < N; j += kWarp) {
                Real d = 0;
                if (candidate(j, d) && before(lastD, lastJ, d, j) && before(d, j, bestD, bestJ)) {
                    bestD = d;
                    bestJ = j;
                }
            }
            warpArgMin(bestD, bestJ, bestSlot);
            if (bestJ == kNoAtom)
                break; // fewer than K candidates after all (cannot happen when count > C >= K)
            if (lane == 0) {
                outIndex[taken] = bestJ;
                outValid[taken] = true;
            }
            lastD = bestD;
            lastJ = bestJ;
        }
    }
    for (int k = taken + lane; k < K; k += kWarp) {
        outIndex[k] = i;
        outValid[k] = false;
    }
}

} // namespace

template <typename Real>
cudaError_t launch(const Shape& shape, const Real* positions, const bool* part, int64_t* index, bool* valid,
                   cudaStream_t stream) {
    const int64_t rows = shape.poses * shape.atoms;
    if (rows == 0 || shape.slots == 0)
        return cudaSuccess;
    const unsigned int blocks = static_cast<unsigned int>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
    nearestKernel<Real><<<blocks, kWarp * kWarpsPerBlock, 0, stream>>>(shape, positions, part, index, valid);
    return cudaGetLastError();
}

template cudaError_t launch<float>(const Shape&, const float*, const bool*, int64_t*, bool*, cudaStream_t);
template cudaError_t launch<double>(const Shape&, const double*, const bool*, int64_t*, bool*, cudaStream_t);

} // namespace NearestNeighborsCuda
} // namespace AffinityPlugin
