// SPDX-License-Identifier: MIT
#include "SharedSegmentOrder.h"
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAStream.h>
#include <optional>
#include <tuple>

namespace AffinityPlugin {
namespace {

/** What the slots' keys depend on, for one call, and where the call's inputs live. */
struct OrderKey {
    const c10::StorageImpl* neighbors;
    const c10::StorageImpl* lengths;
    const void* neighborsData;
    const void* lengthsData;
    int64_t neighborsVersion, lengthsVersion;
    int64_t poses, atoms, slots, segments;
    double spacing;
    c10::Device device;
    c10::StreamId stream;

    bool operator==(const OrderKey& o) const {
        return std::tie(neighbors, lengths, neighborsData, lengthsData, neighborsVersion, lengthsVersion, poses, atoms,
                        slots, segments, spacing, device, stream) ==
               std::tie(o.neighbors, o.lengths, o.neighborsData, o.lengthsData, o.neighborsVersion, o.lengthsVersion,
                        o.poses, o.atoms, o.slots, o.segments, o.spacing, o.device, o.stream);
    }
};

/**
 * The last holder handed out on this thread. The weak references to the two storages keep
 * their StorageImpl objects from being freed, so no later tensor's storage can take their
 * addresses and be mistaken for them; the weak reference to the holder lets it die with the
 * last autograd context that keeps it.
 */
struct LastHolder {
    OrderKey key;
    c10::weak_intrusive_ptr<c10::StorageImpl> neighbors, lengths;
    c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl> holder;
};

thread_local std::optional<LastHolder> last;

} // namespace

at::Tensor SharedSegmentOrder::holderFor(const at::Tensor& neighbors, const at::Tensor& lengths,
                                         const FilterConvolutionCuda::Shape& shape) {
    auto newHolder = [&] { return at::empty({0}, neighbors.options()); };
    if (neighbors.is_inference() || lengths.is_inference() || !neighbors.is_contiguous() || !lengths.is_contiguous())
        return newHolder();
    const OrderKey key{neighbors.storage().unsafeGetStorageImpl(),
                       lengths.storage().unsafeGetStorageImpl(),
                       neighbors.data_ptr(),
                       lengths.data_ptr(),
                       neighbors._version(),
                       lengths._version(),
                       shape.poses,
                       shape.atoms,
                       shape.slots,
                       shape.segments,
                       shape.spacing,
                       neighbors.device(),
                       c10::cuda::getCurrentCUDAStream(neighbors.device().index()).id()};
    if (last && last->key == key) {
        auto held = last->holder.lock();
        if (held)
            return at::Tensor(std::move(held));
    }
    const at::Tensor holder = newHolder();
    last.emplace(
        LastHolder{key, neighbors.storage().getWeakStorageImpl(), lengths.storage().getWeakStorageImpl(),
                   c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>(holder.getIntrusivePtr())});
    return holder;
}

at::Tensor SharedSegmentOrder::orderIn(const at::Tensor& holder, int64_t slots,
                                       const std::function<at::Tensor()>& sortSlots) {
    if (holder.defined() && holder.numel() == slots)
        return holder;
    at::Tensor order = sortSlots();
    if (holder.defined())
        holder.set_(order); // every context holding this holder now sees the order
    return order;
}

} // namespace AffinityPlugin
