// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_SHARED_SEGMENT_ORDER_H_
#define OPENMM_AFFINITY_SHARED_SEGMENT_ORDER_H_

#include "FilterConvolutionKernels.h"
#include <ATen/core/Tensor.h>
#include <functional>

namespace AffinityPlugin {

/**
 * The order in which the float32 backward by segment of affinity::filter_convolution on CUDA
 * takes the slots (a stable sort of their segment keys), made once for every convolution of a
 * forward pass over the same neighbour lists and lengths. A SchNet's interaction blocks all
 * convolve over the same edges; sorting the B x N x K keys again in each block's backward was
 * a tenth of a single pose's gradient on the GPU.
 *
 * The order travels in a holder, an int64 tensor that is empty until the order is made. A
 * convolution's forward asks holderFor() for one and keeps it in its autograd context, so the
 * order lives exactly as long as a backward may still read it. The first backward that needs
 * the order fills the holder (orderIn()); the others read it. Only the sharing is here: the
 * keys and the sort are the operator's.
 *
 * A forward pass captured in a CUDA graph and replayed changes the lengths without any host
 * code running. Where its backward is captured with it, the sort is captured too and replays
 * on the new lengths. A backward that ran outside that capture would read the order of the
 * lengths it first saw: any permutation of the slots gives the same gradients (the kernel
 * finds each slot's segment itself), so only its runs, and with them its speed and rounding,
 * would differ.
 */
class SharedSegmentOrder {
public:
    /**
     * The holder of the previous call on this thread, if it is still held and that call had
     * the same neighbours and lengths (the same storage, place and version of each, both
     * contiguous), shape and stream; otherwise a new, empty holder, which later calls with
     * these tensors get. Inference tensors, which have no version, get a new holder each time.
     */
    static at::Tensor holderFor(const at::Tensor& neighbors, const at::Tensor& lengths,
                                const FilterConvolutionCuda::Shape& shape);

    /**
     * The order in holder if it has been made (holder holds `slots` entries); otherwise the
     * order that sortSlots makes, which is then put in holder where holder is defined.
     */
    static at::Tensor orderIn(const at::Tensor& holder, int64_t slots, const std::function<at::Tensor()>& sortSlots);
};

} // namespace AffinityPlugin

#endif
