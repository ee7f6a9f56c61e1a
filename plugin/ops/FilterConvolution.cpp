// SPDX-License-Identifier: MIT
// The TorchScript operator affinity::filter_convolution (see FilterConvolution.h): its
// schema, the plain-LibTorch formula (CompositeImplicitAutograd: every device, autograd
// for free), and on CUDA the fused kernels behind a custom autograd function.
#include "FilterConvolution.h"
#include <optional>
#include <torch/autograd.h>
#include <torch/library.h>
#include <torch/torch.h>
#ifdef AFFINITY_OPS_CUDA
#include "FilterConvolutionKernels.h"
#include "SharedSegmentOrder.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using torch::Tensor;

namespace AffinityPlugin {
namespace {

const char* const kOperator = "affinity::filter_convolution";

/** Checks the arguments' shapes, types and devices, with messages that name the problem. */
void checkArguments(const Tensor& x, const Tensor& neighbors, const Tensor& lengths, const Tensor& coefficients,
                    double spacing) {
    TORCH_CHECK(x.dim() == 3, kOperator, ": features must be [B,N,F]; got ", x.sizes());
    TORCH_CHECK(neighbors.dim() == 3 && neighbors.size(0) == x.size(0) && neighbors.size(1) == x.size(1), kOperator,
                ": neighbors must be [B,N,K] for features ", x.sizes(), "; got ", neighbors.sizes());
    TORCH_CHECK(neighbors.scalar_type() == torch::kLong, kOperator, ": neighbors must be int64; got ",
                neighbors.scalar_type());
    TORCH_CHECK(lengths.sizes() == neighbors.sizes(), kOperator, ": lengths must have the shape of neighbors ",
                neighbors.sizes(), "; got ", lengths.sizes());
    TORCH_CHECK(coefficients.dim() == 3 && coefficients.size(0) >= 1 && coefficients.size(1) == 4 &&
                    coefficients.size(2) == x.size(2),
                kOperator, ": coefficients must be [S,4,F] with S >= 1 and F = ", x.size(2), "; got ",
                coefficients.sizes());
    TORCH_CHECK(x.is_floating_point() && lengths.scalar_type() == x.scalar_type() &&
                    coefficients.scalar_type() == x.scalar_type(),
                kOperator, ": features, lengths and coefficients must share one floating-point type; got ",
                x.scalar_type(), ", ", lengths.scalar_type(), ", ", coefficients.scalar_type());
    for (const Tensor* t : {&neighbors, &lengths, &coefficients})
        TORCH_CHECK(t->device() == x.device(), kOperator, ": every argument must be on ", x.device(), "; one is on ",
                    t->device());
    TORCH_CHECK(spacing > 0 && std::isfinite(spacing), kOperator, ": spacing must be positive; got ", spacing);
}

} // namespace

Tensor filterConvolutionReference(const Tensor& x, const Tensor& neighbors, const Tensor& lengths,
                                  const Tensor& coefficients, double spacing) {
    checkArguments(x, neighbors, lengths, coefficients, spacing);
    const int64_t B = neighbors.size(0), N = neighbors.size(1), K = neighbors.size(2), F = x.size(2);
    const int64_t segments = coefficients.size(0);
    const double end = spacing * static_cast<double>(segments);
    const Tensor used = (neighbors >= 0) & (lengths < end) & (lengths >= 0);
    // The segment is chosen without gradient; the position inside it carries the gradient.
    const Tensor u = lengths / spacing;
    const Tensor segment = u.detach().floor().clamp(0, static_cast<double>(segments - 1)).to(torch::kLong);
    const Tensor t = (u - segment.to(u.scalar_type())).unsqueeze(-1);
    const Tensor c = coefficients.index_select(0, segment.reshape(-1)).view({B, N, K, 4, F});
    const Tensor filter = c.select(3, 0) + t * (c.select(3, 1) + t * (c.select(3, 2) + t * c.select(3, 3)));
    const Tensor offset = (torch::arange(B, neighbors.options()) * N).view({B, 1, 1});
    const Tensor flat = (neighbors.clamp_min(0) + offset).reshape(-1);
    const Tensor neighborFeatures = x.reshape({B * N, F}).index_select(0, flat).view({B, N, K, F});
    const Tensor mask = used.unsqueeze(-1).to(x.scalar_type());
    return (neighborFeatures * filter * mask).sum(2);
}

#ifdef AFFINITY_OPS_CUDA
namespace {

FilterConvolutionCuda::Shape shapeOf(const Tensor& x, const Tensor& neighbors, const Tensor& coefficients,
                                     double spacing) {
    return {neighbors.size(0), neighbors.size(1), neighbors.size(2), x.size(2), coefficients.size(0), spacing};
}

void checkLaunch(cudaError_t status, const char* what) {
    TORCH_CHECK(status == cudaSuccess, kOperator, ": the ", what,
                " kernel failed to launch: ", cudaGetErrorString(status));
}

Tensor cudaForward(const Tensor& x0, const Tensor& neighbors0, const Tensor& lengths0, const Tensor& coefficients0,
                   double spacing) {
    checkArguments(x0, neighbors0, lengths0, coefficients0, spacing);
    const c10::cuda::CUDAGuard guard(x0.device());
    const Tensor x = x0.contiguous(), neighbors = neighbors0.contiguous(), lengths = lengths0.contiguous();
    const Tensor coefficients = coefficients0.contiguous();
    Tensor out = torch::empty({x.size(0), x.size(1), x.size(2)}, x.options());
    const auto shape = shapeOf(x, neighbors, coefficients, spacing);
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "filter_convolution_forward", [&] {
        checkLaunch(FilterConvolutionCuda::launchForward<scalar_t>(
                        shape, x.data_ptr<scalar_t>(), neighbors.data_ptr<int64_t>(), lengths.data_ptr<scalar_t>(),
                        coefficients.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), stream),
                    "forward");
    });
    return out;
}

/**
 * The float32 backward with the slots sorted by segment, so that the kernel sums the
 * coefficients' gradient per run of one segment instead of adding 4 x F atomics per slot.
 * Returns false, having done nothing, where that kernel does not apply (no coefficients'
 * gradient asked for, say). The order is the one in orderHolder (SharedSegmentOrder) where an
 * earlier backward over the same neighbours and lengths made it; otherwise its scratch is int32
 * keys and int64 indices of B x N x K. The sort neither waits for the GPU nor reads back sizes,
 * so the call can be captured in a CUDA graph.
 */
bool backwardBySegment(const FilterConvolutionCuda::Shape& shape, const Tensor& x, const Tensor& neighbors,
                       const Tensor& lengths, const Tensor& coefficients, const Tensor& outGrad,
                       const Tensor& orderHolder, Tensor& xGrad, Tensor& lengthsGrad, Tensor& coefficientsGrad) {
    auto ptr = [](Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; };
    if (!FilterConvolutionCuda::backwardBySegmentApplies(shape, x.data_ptr<float>(), coefficients.data_ptr<float>(),
                                                         outGrad.data_ptr<float>(), ptr(xGrad), ptr(coefficientsGrad)))
        return false;
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    const Tensor order = SharedSegmentOrder::orderIn(orderHolder, neighbors.numel(), [&] {
        const Tensor keys = torch::empty({neighbors.numel()}, neighbors.options().dtype(torch::kInt32));
        checkLaunch(FilterConvolutionCuda::launchSegmentKeys(shape, neighbors.data_ptr<int64_t>(),
                                                             lengths.data_ptr<float>(), keys.data_ptr<int32_t>(),
                                                             stream),
                    "segment keys");
        return std::get<1>(torch::sort(keys, /*stable=*/true, /*dim=*/0, /*descending=*/false));
    });
    checkLaunch(FilterConvolutionCuda::launchBackwardBySegment(
                    shape, x.data_ptr<float>(), neighbors.data_ptr<int64_t>(), lengths.data_ptr<float>(),
                    coefficients.data_ptr<float>(), outGrad.data_ptr<float>(), order.data_ptr<int64_t>(), ptr(xGrad),
                    ptr(lengthsGrad), ptr(coefficientsGrad), stream),
                "backward");
    return true;
}

/** The fused kernels with a backward of their own: the autograd kernel for CUDA tensors. */
class FusedFilterConvolution : public torch::autograd::Function<FusedFilterConvolution> {
public:
    /** orderHolder: SharedSegmentOrder's holder for the backward by segment, if one may follow. */
    static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x, const Tensor& neighbors,
                          const Tensor& lengths, const Tensor& coefficients, double spacing,
                          const std::optional<Tensor>& orderHolder) {
        ctx->save_for_backward({x, neighbors, lengths, coefficients});
        ctx->saved_data["spacing"] = spacing;
        if (orderHolder)
            ctx->saved_data["order"] = *orderHolder;
        const at::AutoDispatchBelowADInplaceOrView guard;
        return cudaForward(x, neighbors, lengths, coefficients, spacing);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list outputGrads) {
        // The kernels compute first derivatives only; a graph of them (create_graph) would
        // silently drop the second derivatives, so it is refused instead.
        TORCH_CHECK(!torch::GradMode::is_enabled(), kOperator,
                    ": second derivatives are not implemented by the fused CUDA kernels; "
                    "evaluate the model on the CPU for them");
        const auto saved = ctx->get_saved_variables();
        const Tensor x = saved[0].contiguous(), neighbors = saved[1].contiguous(), lengths = saved[2].contiguous();
        const Tensor coefficients = saved[3].contiguous();
        const double spacing = ctx->saved_data["spacing"].toDouble();
        const Tensor outGrad = outputGrads[0].contiguous();
        const c10::cuda::CUDAGuard guard(x.device());
        Tensor xGrad = ctx->needs_input_grad(0) ? torch::zeros_like(x) : Tensor();
        Tensor lengthsGrad = ctx->needs_input_grad(2) ? torch::empty_like(lengths) : Tensor();
        Tensor coefficientsGrad = ctx->needs_input_grad(3) ? torch::zeros_like(coefficients) : Tensor();
        const auto shape = shapeOf(x, neighbors, coefficients, spacing);
        const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
        const auto holder = ctx->saved_data.find("order");
        const Tensor orderHolder = holder != ctx->saved_data.end() ? holder->second.toTensor() : Tensor();
        if (x.scalar_type() == torch::kFloat && backwardBySegment(shape, x, neighbors, lengths, coefficients, outGrad,
                                                                  orderHolder, xGrad, lengthsGrad, coefficientsGrad))
            return {xGrad, Tensor(), lengthsGrad, coefficientsGrad, Tensor(), Tensor()};
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "filter_convolution_backward", [&] {
            auto ptr = [](Tensor& t) { return t.defined() ? t.data_ptr<scalar_t>() : nullptr; };
            checkLaunch(FilterConvolutionCuda::launchBackward<scalar_t>(
                            shape, x.data_ptr<scalar_t>(), neighbors.data_ptr<int64_t>(), lengths.data_ptr<scalar_t>(),
                            coefficients.data_ptr<scalar_t>(), outGrad.data_ptr<scalar_t>(), ptr(xGrad),
                            ptr(lengthsGrad), ptr(coefficientsGrad), stream),
                        "backward");
        });
        return {xGrad, Tensor(), lengthsGrad, coefficientsGrad, Tensor(), Tensor()};
    }
};

Tensor autogradCuda(const Tensor& x, const Tensor& neighbors, const Tensor& lengths, const Tensor& coefficients,
                    double spacing) {
    // Only a backward that asks for the coefficients' gradient sorts the slots: a holder for
    // the order is made (or shared) where one may follow.
    std::optional<Tensor> orderHolder; // an undefined tensor argument would make autograd fail
    if (torch::GradMode::is_enabled() && coefficients.requires_grad() && x.scalar_type() == torch::kFloat) {
        checkArguments(x, neighbors, lengths, coefficients, spacing);
        orderHolder = SharedSegmentOrder::holderFor(neighbors, lengths, shapeOf(x, neighbors, coefficients, spacing));
    }
    return FusedFilterConvolution::apply(x, neighbors, lengths, coefficients, spacing, orderHolder);
}

} // namespace
#endif

Tensor filterConvolution(const Tensor& x, const Tensor& neighbors, const Tensor& lengths, const Tensor& coefficients,
                         double spacing) {
    static const auto op = c10::Dispatcher::singleton()
                               .findSchemaOrThrow(kOperator, "")
                               .typed<Tensor(const Tensor&, const Tensor&, const Tensor&, const Tensor&, double)>();
    return op.call(x, neighbors, lengths, coefficients, spacing);
}

bool filterConvolutionHasCudaKernels() {
#ifdef AFFINITY_OPS_CUDA
    return true;
#else
    return false;
#endif
}

} // namespace AffinityPlugin

TORCH_LIBRARY(affinity, m) {
    m.def("filter_convolution(Tensor features, Tensor neighbors, Tensor lengths, Tensor coefficients, "
          "float spacing) -> Tensor");
}

TORCH_LIBRARY_IMPL(affinity, CompositeImplicitAutograd, m) {
    m.impl("filter_convolution", &AffinityPlugin::filterConvolutionReference);
}

#ifdef AFFINITY_OPS_CUDA
TORCH_LIBRARY_IMPL(affinity, CUDA, m) {
    m.impl("filter_convolution", &AffinityPlugin::cudaForward);
}

TORCH_LIBRARY_IMPL(affinity, AutogradCUDA, m) {
    m.impl("filter_convolution", &AffinityPlugin::autogradCuda);
}
#endif
