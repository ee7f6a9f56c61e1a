// SPDX-License-Identifier: MIT
// The CUDA kernels of affinity::filter_convolution. One warp handles one atom of one pose:
// it walks the atom's K neighbour slots (the same slot for every lane, so branches do not
// diverge) while its lanes stride over the F features, so that every read of a segment's
// coefficients or of a neighbour's features is one coalesced line. Nothing of size
// B x N x K x F is ever written: that tensor is what makes the plain-PyTorch convolution
// memory-bound.
//
// In float32, where F is a multiple of 4 and the arrays are 16-byte aligned (always so for
// LibTorch's own allocations), each lane owns 4 consecutive features instead, and every access
// is one 16-byte vector: a neighbour's features, the output or its gradient, and each of the
// segment's 4 coefficient rows ([S,4,F] keeps one row's consecutive features side by side, so
// the warp reads a row as 512 contiguous bytes). On sm_90 the gradients are accumulated with
// the vector atomicAdd on float4, one per 4 features, a quarter of the scalar atomics. In a
// call too small to fill the GPU (one pose), these kernels give each atom several warps that
// split its slots, so that the GPU runs many short chains of loads rather than a few long ones.
// Double precision and other shapes take the scalar kernels. A float32 backward that asks for
// the coefficients' gradient takes the slots sorted by segment instead (backwardKernelBySegment).
#include "FilterConvolutionKernels.h"
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

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

// Features per lane in the float32 vector kernels: one float4.
constexpr int kVector = 4;
// The ranges an atom's slots are summed in by the float32 per-atom kernels, and the warps that
// share an atom in a small call (see forwardKernelVector).
constexpr int kSlotGroups = 4;

/** The slots [begin, end) of an atom that its warp `group` of kSlotGroups handles. */
struct SlotRange {
    int64_t begin, end;
};

__device__ SlotRange slotRange(const Shape& shape, int group) {
    const int64_t share = (shape.slots + kSlotGroups - 1) / kSlotGroups;
    const int64_t begin = group * share;
    return {begin < shape.slots ? begin : shape.slots, begin + share < shape.slots ? begin + share : shape.slots};
}

/** A slot's neighbour (-1 where the slot contributes nothing) and its segment. */
struct SlotSegment {
    int neighbor;
    int segment;
    float t;
};

/**
 * Slot `slot` of the atom, located; for the lane that holds it in a group of 32 slots, so
 * that one load per lane fetches a group's neighbours and lengths at once, instead of a
 * broadcast load per slot ahead of each slot's dependent feature and coefficient loads.
 */
__device__ SlotSegment locateSlot(const Shape& shape, const int64_t* __restrict__ neighbors,
                                  const float* __restrict__ lengths, int64_t atom, int64_t slot) {
    SlotSegment result{-1, 0, 0.0f};
    Segment<float> seg;
    if (slot < shape.slots &&
        locate(shape, neighbors[atom * shape.slots + slot], lengths[atom * shape.slots + slot], seg)) {
        result.neighbor = static_cast<int>(neighbors[atom * shape.slots + slot]);
        result.segment = static_cast<int>(seg.index);
        result.t = seg.t;
    }
    return result;
}

/** The group's slot q, from the lane that located it (every lane of the warp must call). */
__device__ SlotSegment shuffleSlot(const SlotSegment& mine, int q) {
    return {__shfl_sync(0xffffffffu, mine.neighbor, q), __shfl_sync(0xffffffffu, mine.segment, q),
            __shfl_sync(0xffffffffu, mine.t, q)};
}

__device__ float4 load4(const float* __restrict__ p) {
    return *reinterpret_cast<const float4*>(p);
}

__device__ float4 operator*(float4 u, float4 v) {
    return {u.x * v.x, u.y * v.y, u.z * v.z, u.w * v.w};
}

__device__ float4 operator+(float4 u, float4 v) {
    return {u.x + v.x, u.y + v.y, u.z + v.z, u.w + v.w};
}

__device__ float4 operator*(float4 u, float s) {
    return {u.x * s, u.y * s, u.z * s, u.w * s};
}

/** Adds to 4 consecutive floats: one vector atomic on sm_90, four scalar ones before it. */
__device__ void atomicAdd4(float* address, float4 value) {
#if __CUDA_ARCH__ >= 900
    atomicAdd(reinterpret_cast<float4*>(address), value);
#else
    atomicAdd(address, value.x);
    atomicAdd(address + 1, value.y);
    atomicAdd(address + 2, value.z);
    atomicAdd(address + 3, value.w);
#endif
}

/** Cubic's four coefficient rows for features f..f+3, each one 16-byte load. */
struct Cubic4 {
    float4 a, b, c, d;
    Cubic4() = default;
    __device__ Cubic4(const float* __restrict__ coefficients, int64_t segment, int64_t F, int64_t f) {
        const float* p = coefficients + segment * 4 * F + f;
        a = load4(p);
        b = load4(p + F);
        c = load4(p + 2 * F);
        d = load4(p + 3 * F);
    }
    __device__ float4 value(float t) const {
        return {a.x + t * (b.x + t * (c.x + t * d.x)), a.y + t * (b.y + t * (c.y + t * d.y)),
                a.z + t * (b.z + t * (c.z + t * d.z)), a.w + t * (b.w + t * (c.w + t * d.w))};
    }
    __device__ float4 slope(float t) const {
        return {b.x + t * (2 * c.x + 3 * t * d.x), b.y + t * (2 * c.y + 3 * t * d.y), b.z + t * (2 * c.z + 3 * t * d.z),
                b.w + t * (2 * c.w + 3 * t * d.w)};
    }
};

/**
 * One slot's backward for the lane's 4 features, shared by both float32 backward kernels: adds
 * g * P(t) into the neighbour's row of the features' gradient (when asked for), sets lengthGrad
 * to the lane's share of the length's gradient (when asked for, before the spacing), and
 * returns g * x, which the coefficients' gradient takes times 1, t, t^2 and t^3.
 */
__device__ float4 slotBackward4(const Cubic4& cubic, float t, float4 g, const float* __restrict__ features,
                                int64_t neighbor, float* featuresGrad, bool lengthAsked, float& lengthGrad) {
    if (featuresGrad != nullptr)
        atomicAdd4(featuresGrad + neighbor, g * cubic.value(t));
    const float4 gx = g * load4(features + neighbor);
    if (lengthAsked) {
        const float4 slope = cubic.slope(t);
        lengthGrad = gx.x * slope.x + gx.y * slope.y + gx.z * slope.z + gx.w * slope.w;
    }
    return gx;
}

/**
 * Sums the lanes' shares of one slot's length gradient (every lane calls it) and lane 0 writes
 * it, for every slot (zero for empty ones); later passes over more features add to what the
 * first pass wrote.
 */
__device__ void writeLengthGrad(float* entry, float lengthGrad, bool firstPass, int lane, float inverseSpacing) {
    lengthGrad = warpSum(lengthGrad);
    if (lane == 0)
        *entry = (firstPass ? 0.0f : *entry) + lengthGrad * inverseSpacing;
}

// An atom's slots are summed in kSlotGroups ranges (slotRange), each in slot order, and the
// ranges' sums are then added in range order. A small call (fewer atoms than warps to fill the
// GPU: one pose of an MD step is 640 warps of 32 slots on over a hundred SMs) gives each range
// a warp of its own, WarpsPerAtom = kSlotGroups in a block per atom, so that each warp walks a
// quarter of the chain of dependent loads; a large one keeps one warp per atom, which walks the
// ranges one after another. The arithmetic is the same either way, so an atom's output does
// not depend on how many poses share the call.
template <int WarpsPerAtom>
__global__ void forwardKernelVector(Shape shape, const float* __restrict__ features,
                                    const int64_t* __restrict__ neighbors, const float* __restrict__ lengths,
                                    const float* __restrict__ coefficients, float* __restrict__ out) {
    static_assert(kSlotGroups % WarpsPerAtom == 0 && kWarpsPerBlock % WarpsPerAtom == 0, "whole ranges and atoms");
    __shared__ float4 partial[WarpsPerAtom > 1 ? kWarpsPerBlock : 1][kWarp];
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int64_t atom = static_cast<int64_t>(blockIdx.x) * (kWarpsPerBlock / WarpsPerAtom) + warp / WarpsPerAtom;
    const int firstRange = warp % WarpsPerAtom;
    // Every warp of a block reaches the barriers below; one past the last atom only idles.
    const bool exists = atom < shape.poses * shape.atoms;
    const int64_t F = shape.features;
    const float* poseFeatures = features + (atom / shape.atoms) * shape.atoms * F;
    for (int64_t f0 = 0; f0 < F; f0 += kWarp * kVector) {
        const int64_t f = f0 + kVector * lane;
        const bool active = exists && f < F; // F is a multiple of kVector, so f + 3 < F too
        float4 total = {0, 0, 0, 0};
        for (int g = firstRange; g < kSlotGroups && exists; g += WarpsPerAtom) {
            const SlotRange range = slotRange(shape, g);
            float4 sum = {0, 0, 0, 0};
            for (int64_t k0 = range.begin; k0 < range.end; k0 += kWarp) {
                const SlotSegment mine = locateSlot(shape, neighbors, lengths, atom, k0 + lane);
                const int count = static_cast<int>(range.end - k0 < kWarp ? range.end - k0 : kWarp);
                for (int q = 0; q < count; q++) {
                    const SlotSegment slot = shuffleSlot(mine, q);
                    if (slot.neighbor < 0 || !active)
                        continue;
                    const float4 x = load4(poseFeatures + slot.neighbor * F + f);
                    const float4 filter = Cubic4(coefficients, slot.segment, F, f).value(slot.t);
                    sum.x += x.x * filter.x;
                    sum.y += x.y * filter.y;
                    sum.z += x.z * filter.z;
                    sum.w += x.w * filter.w;
                }
            }
            total = g == 0 ? sum : total + sum;
        }
        if constexpr (WarpsPerAtom > 1) {
            partial[warp][lane] = total;
            __syncthreads();
            if (firstRange == 0)
                for (int g = 1; g < kSlotGroups; g++)
                    total = total + partial[warp + g][lane];
            __syncthreads(); // the next pass over the features reuses `partial`
        }
        if (firstRange == 0 && active)
            *reinterpret_cast<float4*>(out + atom * F + f) = total;
    }
}

// The atom's output gradient stays in registers while the warp walks its slots once per 128
// features (once in all for SchNet's width): all of them, or in a small call (as in the
// forward) one of kSlotGroups ranges of them, the atom's other ranges going to the other warps
// of its block. Those warps need not meet: every slot's gradients are its own (added
// atomically, or the length's written per slot), so the split changes no result.
template <int WarpsPerAtom>
__global__ void backwardKernelVector(Shape shape, const float* __restrict__ features,
                                     const int64_t* __restrict__ neighbors, const float* __restrict__ lengths,
                                     const float* __restrict__ coefficients, const float* __restrict__ outGrad,
                                     float* featuresGrad, float* lengthsGrad, float* coefficientsGrad) {
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int64_t atom = static_cast<int64_t>(blockIdx.x) * (kWarpsPerBlock / WarpsPerAtom) + warp / WarpsPerAtom;
    if (atom >= shape.poses * shape.atoms)
        return;
    const SlotRange range = WarpsPerAtom == 1 ? SlotRange{0, shape.slots} : slotRange(shape, warp % WarpsPerAtom);
    const int64_t F = shape.features, K = shape.slots;
    const int64_t poseStart = (atom / shape.atoms) * shape.atoms;
    const float inverseSpacing = static_cast<float>(1.0 / shape.spacing);
    for (int64_t f0 = 0; f0 < F; f0 += kWarp * kVector) {
        const int64_t f = f0 + kVector * lane;
        const bool active = f < F;
        const float4 g = active ? load4(outGrad + atom * F + f) : float4{0, 0, 0, 0};
        for (int64_t k0 = range.begin; k0 < range.end; k0 += kWarp) {
            const SlotSegment mine = locateSlot(shape, neighbors, lengths, atom, k0 + lane);
            const int count = static_cast<int>(range.end - k0 < kWarp ? range.end - k0 : kWarp);
            for (int q = 0; q < count; q++) {
                const SlotSegment slot = shuffleSlot(mine, q);
                float lengthGrad = 0;
                if (slot.neighbor >= 0 && active) {
                    const float t = slot.t;
                    const float4 gx = slotBackward4(Cubic4(coefficients, slot.segment, F, f), t, g, features,
                                                    (poseStart + slot.neighbor) * F + f, featuresGrad,
                                                    lengthsGrad != nullptr, lengthGrad);
                    if (coefficientsGrad != nullptr) {
                        float* p = coefficientsGrad + slot.segment * 4 * F + f;
                        atomicAdd4(p, gx);
                        atomicAdd4(p + F, gx * t);
                        atomicAdd4(p + 2 * F, gx * (t * t));
                        atomicAdd4(p + 3 * F, gx * (t * t * t));
                    }
                }
                if (lengthsGrad != nullptr)
                    writeLengthGrad(lengthsGrad + atom * K + k0 + q, lengthGrad, f0 == 0, lane, inverseSpacing);
            }
        }
    }
}

// The coefficient gradient accumulated per segment (float32, when it is asked for). The
// per-slot kernel above adds each slot's 4 x F products into the segment's rows with atomics:
// 2 KB of atomics per slot, most of its L2 traffic. Here the slots come in the order of a sort
// by segment (launchSegmentKeys, then the caller's sort), a warp takes a run of consecutive
// sorted slots, keeps the current segment's coefficients and its partial gradient in
// registers, and adds that gradient to memory only where the segment changes and at the end
// of the run. The features' gradient keeps its atomic per slot; the lengths' is written per
// slot. A slot's segment is located here again, as in the other kernels, so the sort's keys
// decide only the order, never the result.
//
// A run is 64 slots where the call has enough of them to give every SM many warps. A smaller
// call (one pose of an MD step or of a single-pose gradient: 20k slots, 320 runs of 64) takes
// shorter runs, down to 8 slots, so that more warps share it and each walks a shorter chain of
// loads; shorter runs flush their sums more often, which changes only the order of the atomic
// additions.
constexpr int kRunSlots = 64, kShortestRun = 8;
// Warps a call should have before its runs stop getting shorter.
constexpr int64_t kWarpsToFill = 8192;

int runSlotsFor(const Shape& shape) {
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    int run = kRunSlots;
    while (run > kShortestRun && slots / run < kWarpsToFill)
        run /= 2;
    return run;
}
// Slots per group of poses in the sort (see launchSegmentKeys): enough for long runs of one
// segment, few enough poses that their features, output gradients and feature gradients
// (3 x 328 KB per pose of 640 atoms and 128 features; 6 poses a group) stay in L2 while the
// warps walk them, which a sort of all 64 poses at once (63 MB) would not.
constexpr int64_t kGroupSlots = int64_t(1) << 17;

int64_t posesPerGroup(const Shape& shape) {
    const int64_t slotsPerPose = shape.atoms * shape.slots;
    return slotsPerPose >= kGroupSlots ? 1 : kGroupSlots / slotsPerPose;
}

__global__ void segmentKeysKernel(Shape shape, int64_t groupPoses, const int64_t* __restrict__ neighbors,
                                  const float* __restrict__ lengths, int32_t* __restrict__ keys) {
    const int64_t slot = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    if (slot >= slots)
        return;
    const int64_t groups = (shape.poses + groupPoses - 1) / groupPoses;
    Segment<float> seg;
    // Slots that contribute nothing go last, after every group.
    int64_t key = groups * (shape.segments + 1);
    if (locate(shape, neighbors[slot], lengths[slot], seg))
        key = slot / (shape.atoms * shape.slots) / groupPoses * (shape.segments + 1) + seg.index;
    keys[slot] = static_cast<int32_t>(key);
}

/** A sorted slot: where it is, its neighbour's row in the batch (-1: none) and its segment. */
struct SortedSlot {
    int slot;
    int row;
    int segment;
    float t;
};

__device__ SortedSlot shuffleSorted(const SortedSlot& mine, int q) {
    return {__shfl_sync(0xffffffffu, mine.slot, q), __shfl_sync(0xffffffffu, mine.row, q),
            __shfl_sync(0xffffffffu, mine.segment, q), __shfl_sync(0xffffffffu, mine.t, q)};
}

__global__ void backwardKernelBySegment(Shape shape, const float* __restrict__ features,
                                        const int64_t* __restrict__ neighbors, const float* __restrict__ lengths,
                                        const float* __restrict__ coefficients, const float* __restrict__ outGrad,
                                        const int64_t* __restrict__ order, int runSlots, float* featuresGrad,
                                        float* lengthsGrad, float* coefficientsGrad) {
    const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
    const int lane = threadIdx.x % kWarp;
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    const int64_t first = warp * runSlots;
    if (first >= slots)
        return;
    const int64_t last = first + runSlots < slots ? first + runSlots : slots; // one past the run
    const int64_t F = shape.features, K = shape.slots;
    const float inverseSpacing = static_cast<float>(1.0 / shape.spacing);
    for (int64_t f0 = 0; f0 < F; f0 += kWarp * kVector) {
        const int64_t f = f0 + kVector * lane;
        const bool active = f < F;
        int segment = -1; // the one whose coefficients and gradient the registers hold
        Cubic4 cubic{};
        float4 sum[4] = {};
        auto flush = [&] {
            if (segment >= 0 && active) {
                float* p = coefficientsGrad + static_cast<int64_t>(segment) * 4 * F + f;
#pragma unroll
                for (int power = 0; power < 4; power++)
                    atomicAdd4(p + power * F, sum[power]);
            }
        };
        for (int64_t p0 = first; p0 < last; p0 += kWarp) {
            SortedSlot mine{0, -1, 0, 0.0f};
            if (p0 + lane < last) {
                mine.slot = static_cast<int>(order[p0 + lane]);
                Segment<float> seg;
                const int64_t j = neighbors[mine.slot];
                if (locate(shape, j, lengths[mine.slot], seg)) {
                    mine.row = static_cast<int>(mine.slot / (shape.atoms * K) * shape.atoms + j);
                    mine.segment = static_cast<int>(seg.index);
                    mine.t = seg.t;
                }
            }
            const int count = static_cast<int>(last - p0 < kWarp ? last - p0 : kWarp);
            for (int q = 0; q < count; q++) {
                const SortedSlot edge = shuffleSorted(mine, q);
                float lengthGrad = 0;
                if (edge.row >= 0) {
                    if (edge.segment != segment) { // the same for every lane: no divergence
                        flush();
                        segment = edge.segment;
                        if (active)
                            cubic = Cubic4(coefficients, segment, F, f);
                        for (float4& s : sum)
                            s = float4{0, 0, 0, 0};
                    }
                    if (active) {
                        const float t = edge.t;
                        const float4 g = load4(outGrad + edge.slot / K * F + f);
                        const float4 gx = slotBackward4(cubic, t, g, features, static_cast<int64_t>(edge.row) * F + f,
                                                        featuresGrad, lengthsGrad != nullptr, lengthGrad);
                        sum[0] = sum[0] + gx;
                        sum[1] = sum[1] + gx * t;
                        sum[2] = sum[2] + gx * (t * t);
                        sum[3] = sum[3] + gx * (t * t * t);
                    }
                }
                if (lengthsGrad != nullptr)
                    writeLengthGrad(lengthsGrad + edge.slot, lengthGrad, f0 == 0, lane, inverseSpacing);
            }
        }
        flush();
    }
}

bool aligned16(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

/** Whether the float32 vector kernels apply: 4 features per lane, 16-byte vectors. */
bool vectorized(const Shape& shape, std::initializer_list<const float*> arrays) {
    if (shape.features % kVector != 0)
        return false;
    for (const float* p : arrays)
        if (!aligned16(p)) // a null pointer (a gradient not asked for) is aligned
            return false;
    return true;
}

unsigned int blocksFor(const Shape& shape) {
    const int64_t warps = shape.poses * shape.atoms;
    return static_cast<unsigned int>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

// Calls of fewer atoms than this split each atom's slots between kSlotGroups warps: about the
// warps an H100 or H200 keeps resident (132 SMs x 64).
constexpr int64_t kAtomsToSplit = 8192;

bool splitsSlots(const Shape& shape) {
    return shape.poses * shape.atoms < kAtomsToSplit;
}

/** The vector kernels' grid, for WarpsPerAtom warps per atom. */
unsigned int atomBlocks(const Shape& shape, int warpsPerAtom) {
    const int64_t atomsPerBlock = kWarpsPerBlock / warpsPerAtom;
    return static_cast<unsigned int>((shape.poses * shape.atoms + atomsPerBlock - 1) / atomsPerBlock);
}

} // namespace

template <typename Real>
cudaError_t launchForward(const Shape& shape, const Real* features, const int64_t* neighbors, const Real* lengths,
                          const Real* coefficients, Real* out, cudaStream_t stream) {
    if (shape.poses * shape.atoms == 0)
        return cudaSuccess;
    if constexpr (std::is_same_v<Real, float>) {
        if (vectorized(shape, {features, coefficients, out})) {
            if (splitsSlots(shape))
                forwardKernelVector<kSlotGroups><<<atomBlocks(shape, kSlotGroups), kWarp * kWarpsPerBlock, 0, stream>>>(
                    shape, features, neighbors, lengths, coefficients, out);
            else
                forwardKernelVector<1><<<atomBlocks(shape, 1), kWarp * kWarpsPerBlock, 0, stream>>>(
                    shape, features, neighbors, lengths, coefficients, out);
            return cudaGetLastError();
        }
    }
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
    if constexpr (std::is_same_v<Real, float>) {
        if (vectorized(shape, {features, coefficients, outGrad, featuresGrad, coefficientsGrad})) {
            if (splitsSlots(shape))
                backwardKernelVector<kSlotGroups>
                    <<<atomBlocks(shape, kSlotGroups), kWarp * kWarpsPerBlock, 0, stream>>>(
                        shape, features, neighbors, lengths, coefficients, outGrad, featuresGrad, lengthsGrad,
                        coefficientsGrad);
            else
                backwardKernelVector<1><<<atomBlocks(shape, 1), kWarp * kWarpsPerBlock, 0, stream>>>(
                    shape, features, neighbors, lengths, coefficients, outGrad, featuresGrad, lengthsGrad,
                    coefficientsGrad);
            return cudaGetLastError();
        }
    }
    backwardKernel<Real><<<blocksFor(shape), kWarp * kWarpsPerBlock, 0, stream>>>(
        shape, features, neighbors, lengths, coefficients, outGrad, featuresGrad, lengthsGrad, coefficientsGrad);
    return cudaGetLastError();
}

bool backwardBySegmentApplies(const Shape& shape, const float* features, const float* coefficients,
                              const float* outGrad, const float* featuresGrad, const float* coefficientsGrad) {
    // The kernel holds slots, rows and keys in 32-bit integers.
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    const int64_t groups = (shape.poses + posesPerGroup(shape) - 1) / posesPerGroup(shape);
    return coefficientsGrad != nullptr && slots > 0 && slots <= INT_MAX &&
           (groups + 1) * (shape.segments + 1) <= INT_MAX &&
           vectorized(shape, {features, coefficients, outGrad, featuresGrad, coefficientsGrad});
}

cudaError_t launchSegmentKeys(const Shape& shape, const int64_t* neighbors, const float* lengths, int32_t* keys,
                              cudaStream_t stream) {
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    if (slots == 0)
        return cudaSuccess;
    constexpr int threads = 256;
    segmentKeysKernel<<<static_cast<unsigned int>((slots + threads - 1) / threads), threads, 0, stream>>>(
        shape, posesPerGroup(shape), neighbors, lengths, keys);
    return cudaGetLastError();
}

cudaError_t launchBackwardBySegment(const Shape& shape, const float* features, const int64_t* neighbors,
                                    const float* lengths, const float* coefficients, const float* outGrad,
                                    const int64_t* order, float* featuresGrad, float* lengthsGrad,
                                    float* coefficientsGrad, cudaStream_t stream) {
    const int64_t slots = shape.poses * shape.atoms * shape.slots;
    if (slots == 0)
        return cudaSuccess;
    const int runSlots = runSlotsFor(shape);
    const int64_t warps = (slots + runSlots - 1) / runSlots;
    backwardKernelBySegment<<<static_cast<unsigned int>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock),
                              kWarp * kWarpsPerBlock, 0, stream>>>(shape, features, neighbors, lengths, coefficients,
                                                                   outGrad, order, runSlots, featuresGrad, lengthsGrad,
                                                                   coefficientsGrad);
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
