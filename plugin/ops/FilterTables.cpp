// SPDX-License-Identifier: MIT
// The TorchScript operator affinity::filter_tables (see FilterTables.h): its schema, its checks
// and its autograd function. The element-wise stages (FilterTableMath.h) run as host loops or,
// on CUDA, as the kernels of FilterTablesKernels.cu; the matrix products between them are
// LibTorch's.
#include "FilterTables.h"
#include "FilterTableMath.h"
#include <ATen/Parallel.h>
#include <climits>
#include <cmath>
#include <torch/library.h>
#include <torch/torch.h>
#ifdef AFFINITY_OPS_CUDA
#include "FilterTablesKernels.h"
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using torch::Tensor;

namespace AffinityPlugin {
namespace {

using FilterTableMath::Shape;

const char* const kOperator = "affinity::filter_tables";

bool isFloating(const Tensor& t) {
    return t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble;
}

Shape checkArguments(const Tensor& firstWeight, const Tensor& firstBias, const Tensor& secondWeight,
                     const Tensor& secondBias, const Tensor& basis, double spacing, double shift,
                     torch::ScalarType dtype) {
    TORCH_CHECK(firstWeight.dim() == 3 && firstWeight.size(0) >= 1 && firstWeight.size(1) >= 1, kOperator,
                ": first_weight must be [K,F,G] with K, F >= 1; got ", firstWeight.sizes());
    const int64_t K = firstWeight.size(0), F = firstWeight.size(1), G = firstWeight.size(2);
    TORCH_CHECK(firstBias.dim() == 2 && firstBias.size(0) == K && firstBias.size(1) == F, kOperator,
                ": first_bias must be [K,F] = [", K, ",", F, "]; got ", firstBias.sizes());
    TORCH_CHECK(secondWeight.dim() == 3 && secondWeight.size(0) == K && secondWeight.size(1) == F &&
                    secondWeight.size(2) == F,
                kOperator, ": second_weight must be [K,F,F] = [", K, ",", F, ",", F, "]; got ", secondWeight.sizes());
    TORCH_CHECK(secondBias.dim() == 2 && secondBias.size(0) == K && secondBias.size(1) == F, kOperator,
                ": second_bias must be [K,F] = [", K, ",", F, "]; got ", secondBias.sizes());
    TORCH_CHECK(basis.dim() == 3 && basis.size(0) == 2 && basis.size(1) >= 2 && basis.size(2) == G + 1, kOperator,
                ": basis must be [2,T,G+1] with T >= 2 and G + 1 = ", G + 1, "; got ", basis.sizes());
    TORCH_CHECK(basis.scalar_type() == torch::kDouble, kOperator, ": basis must be float64; got ", basis.scalar_type());
    for (const Tensor* t : {&firstWeight, &firstBias, &secondWeight, &secondBias}) {
        TORCH_CHECK(isFloating(*t), kOperator, ": the weights must be float32 or float64; got ", t->scalar_type());
        TORCH_CHECK(t->device() == basis.device(), kOperator, ": every input must be on ", basis.device(),
                    "; a weight is on ", t->device());
    }
    TORCH_CHECK(dtype == torch::kFloat || dtype == torch::kDouble, kOperator,
                ": dtype must be float32 or float64; got ", dtype);
    TORCH_CHECK(spacing > 0 && std::isfinite(spacing), kOperator, ": spacing must be positive and finite; got ",
                spacing);
    TORCH_CHECK(std::isfinite(shift), kOperator, ": shift must be finite; got ", shift);
    TORCH_CHECK(!basis.is_cuda() || basis.size(1) * K * F <= INT32_MAX, kOperator,
                ": T x K x F must be below 2^31 on CUDA (32-bit indices); got ", basis.size(1) * K * F);
    return Shape{K, basis.size(1), F, G, spacing, shift};
}

// Runs stage(index) on the host for every entry of rows x K x F.
template <typename Stage> void onHost(const Shape& s, int64_t rows, const Stage& stage) {
    at::parallel_for(0, rows * s.blocks, 16, [&](int64_t begin, int64_t end) {
        for (int64_t rowBlock = begin; rowBlock < end; rowBlock++) {
            const int64_t row = rowBlock / s.blocks, block = rowBlock % s.blocks;
            for (int64_t f = 0; f < s.filters; f++)
                stage(FilterTableMath::Index{row, block, f});
        }
    });
}

#ifdef AFFINITY_OPS_CUDA
void checkLaunch(cudaError_t status, const char* stage) {
    TORCH_CHECK(status == cudaSuccess, kOperator, ": the CUDA kernel of the ", stage,
                " failed: ", cudaGetErrorString(status));
}
#endif

// The weights in double precision, laid out as the stages read them: W1 [K F, G], b1 [K F],
// W2 [K, F, F], b2 [K F]. What the forward keeps for the backward.
struct Weights {
    Tensor first, firstBias, second, secondBias;

    static Weights of(const Tensor& w1, const Tensor& b1, const Tensor& w2, const Tensor& b2, const Shape& s) {
        return {w1.to(torch::kDouble).contiguous().view({s.blocks * s.filters, s.gaussians}),
                b1.to(torch::kDouble).contiguous().view({-1}), w2.to(torch::kDouble).contiguous(),
                b2.to(torch::kDouble).contiguous().view({-1})};
    }
};

// The basis rows (values, then slopes) without the envelope column, [2T, G]: a view, which the
// matrix products take with its row stride G + 1.
Tensor expansion(const Tensor& basis, const Shape& s) {
    return basis.narrow(2, 0, s.gaussians).view({2 * s.points, s.gaussians});
}

// hidden [2T, K F]: the basis rows through every block's first layer, without its bias.
Tensor hiddenOf(const Tensor& basis, const Weights& w, const Shape& s) {
    return torch::mm(expansion(basis, s), w.first.t());
}

// acts [K, 2T, F] (FilterTableMath.h).
Tensor activationsOf(const Tensor& hidden, const Weights& w, const Shape& s) {
    Tensor acts = torch::empty({s.blocks, 2 * s.points, s.filters}, hidden.options());
    const double *h = hidden.data_ptr<double>(), *b = w.firstBias.data_ptr<double>();
    double* out = acts.data_ptr<double>();
#ifdef AFFINITY_OPS_CUDA
    if (hidden.is_cuda()) {
        checkLaunch(FilterTablesCuda::launchActivations(s, h, b, out, c10::cuda::getCurrentCUDAStream()),
                    "activations");
        return acts;
    }
#endif
    onHost(s, s.points, [&](FilterTableMath::Index i) { FilterTableMath::activations(s, h, b, out, i); });
    return acts;
}

// The second layer's products, [K, 2T, F]. Each [K,T,F]-sized array is released as soon as
// the next one is made, so that at most two exist at once.
Tensor linearOf(const Tensor& basis, const Weights& w, const Shape& s) {
    const Tensor acts = activationsOf(hiddenOf(basis, w, s), w, s);
    return torch::bmm(acts, w.second.transpose(1, 2));
}

Tensor tableOf(const Tensor& basis, const Weights& w, const Shape& s, torch::ScalarType dtype) {
    const Tensor linear = linearOf(basis, w, s);
    Tensor table = torch::empty({s.blocks, s.points - 1, 4, s.filters}, basis.options().dtype(dtype));
    const double *v = linear.data_ptr<double>(), *b = w.secondBias.data_ptr<double>(), *e = basis.data_ptr<double>();
    AT_DISPATCH_FLOATING_TYPES(dtype, "filter_tables", [&] {
        scalar_t* out = table.data_ptr<scalar_t>();
#ifdef AFFINITY_OPS_CUDA
        if (basis.is_cuda()) {
            checkLaunch(FilterTablesCuda::launchCubics<scalar_t>(s, v, b, e, out, c10::cuda::getCurrentCUDAStream()),
                        "cubics");
            return;
        }
#endif
        onHost(s, s.points - 1,
               [&](FilterTableMath::Index i) { FilterTableMath::cubics<scalar_t>(s, v, b, e, out, i); });
    });
    return table;
}

// The gradient of `linear` [K, 2T, F] from the table's.
Tensor linearGradOf(const Tensor& tableGrad, const Tensor& basis, const Shape& s) {
    Tensor linearGrad = torch::empty({s.blocks, 2 * s.points, s.filters}, basis.options());
    const double* e = basis.data_ptr<double>();
    double* out = linearGrad.data_ptr<double>();
    AT_DISPATCH_FLOATING_TYPES(tableGrad.scalar_type(), "filter_tables_backward", [&] {
        const scalar_t* g = tableGrad.data_ptr<scalar_t>();
#ifdef AFFINITY_OPS_CUDA
        if (basis.is_cuda()) {
            checkLaunch(
                FilterTablesCuda::launchCubicsAdjoint<scalar_t>(s, g, e, out, c10::cuda::getCurrentCUDAStream()),
                "cubics' adjoint");
            return;
        }
#endif
        onHost(s, s.points,
               [&](FilterTableMath::Index i) { FilterTableMath::cubicsAdjoint<scalar_t>(s, g, e, out, i); });
    });
    return linearGrad;
}

// hidden ← its gradient, from the activations' gradient.
void activationsAdjoint(Tensor& hidden, const Tensor& actsGrad, const Weights& w, const Shape& s) {
    double* h = hidden.data_ptr<double>();
    const double *b = w.firstBias.data_ptr<double>(), *g = actsGrad.data_ptr<double>();
#ifdef AFFINITY_OPS_CUDA
    if (hidden.is_cuda()) {
        checkLaunch(FilterTablesCuda::launchActivationsAdjoint(s, h, b, g, c10::cuda::getCurrentCUDAStream()),
                    "activations' adjoint");
        return;
    }
#endif
    onHost(s, s.points, [&](FilterTableMath::Index i) { FilterTableMath::activationsAdjoint(s, h, b, g, i); });
}

class FilterTablesFunction : public torch::autograd::Function<FilterTablesFunction> {
public:
    static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& firstWeight, const Tensor& firstBias,
                          const Tensor& secondWeight, const Tensor& secondBias, const Tensor& basis, double spacing,
                          double shift, torch::ScalarType dtype) {
        const Shape s = checkArguments(firstWeight, firstBias, secondWeight, secondBias, basis, spacing, shift, dtype);
        const c10::OptionalDeviceGuard guard(basis.device());
        const Tensor e = basis.contiguous();
        const Weights w = Weights::of(firstWeight, firstBias, secondWeight, secondBias, s);
        // Only the inputs are kept (in double precision, a few hundred kB): the backward
        // recomputes the [K,T,F] arrays rather than holding them between the two passes.
        ctx->save_for_backward({w.first, w.firstBias, w.second, w.secondBias, e});
        ctx->saved_data["spacing"] = spacing;
        ctx->saved_data["shift"] = shift;
        return tableOf(e, w, s, dtype);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list outputGrads) {
        TORCH_CHECK(!torch::GradMode::is_enabled(), kOperator,
                    ": second derivatives are not implemented; make the tables with the plain formula "
                    "(tabulated_filter_coefficients) for them");
        const auto saved = ctx->get_saved_variables();
        const Weights w{saved[0], saved[1], saved[2], saved[3]};
        const Tensor& basis = saved[4];
        const int64_t K = w.second.size(0), F = w.second.size(1), G = w.first.size(1);
        const Shape s{
            K, basis.size(1), F, G, ctx->saved_data["spacing"].toDouble(), ctx->saved_data["shift"].toDouble()};
        const c10::OptionalDeviceGuard guard(basis.device());
        // Second layer: linear = acts · W2ᵀ (+ b2, added in the cubics). The arrays of size
        // [K,T,F] are released as soon as they are used, and `hidden` is made twice rather than
        // kept: beside the table's gradient at most two of them exist at once.
        Tensor linearGrad = linearGradOf(outputGrads[0].contiguous(), basis, s);
        const Tensor secondBiasGrad = linearGrad.narrow(1, 0, s.points).sum(1);
        Tensor secondGrad;
        {
            const Tensor acts = activationsOf(hiddenOf(basis, w, s), w, s); // hidden released here
            secondGrad = torch::bmm(linearGrad.transpose(1, 2), acts);
        }
        const Tensor actsGrad = torch::bmm(linearGrad, w.second);
        linearGrad = Tensor();
        // First layer: hidden = basis · W1ᵀ (+ b1, added in the activations).
        Tensor hidden = hiddenOf(basis, w, s);
        activationsAdjoint(hidden, actsGrad, w, s);
        const Tensor firstGrad = torch::mm(hidden.t(), expansion(basis, s)).view({K, F, G});
        const Tensor firstBiasGrad = hidden.narrow(0, 0, s.points).sum(0).view({K, F});
        // Float64 gradients: autograd casts each to the dtype of its input.
        return {firstGrad, firstBiasGrad, secondGrad, secondBiasGrad, Tensor(), Tensor(), Tensor(), Tensor()};
    }
};

Tensor filterTablesOp(const Tensor& firstWeight, const Tensor& firstBias, const Tensor& secondWeight,
                      const Tensor& secondBias, const Tensor& basis, double spacing, double shift,
                      torch::ScalarType dtype) {
    return FilterTablesFunction::apply(firstWeight, firstBias, secondWeight, secondBias, basis, spacing, shift, dtype);
}

} // namespace

Tensor filterTables(const Tensor& firstWeight, const Tensor& firstBias, const Tensor& secondWeight,
                    const Tensor& secondBias, const Tensor& basis, double spacing, double shift,
                    torch::ScalarType dtype) {
    static const auto op = c10::Dispatcher::singleton()
                               .findSchemaOrThrow(kOperator, "")
                               .typed<Tensor(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                             double, double, torch::ScalarType)>();
    return op.call(firstWeight, firstBias, secondWeight, secondBias, basis, spacing, shift, dtype);
}

} // namespace AffinityPlugin

TORCH_LIBRARY_FRAGMENT(affinity, m) {
    m.def("filter_tables(Tensor first_weight, Tensor first_bias, Tensor second_weight, Tensor second_bias, "
          "Tensor basis, float spacing, float shift, ScalarType dtype) -> Tensor");
}

TORCH_LIBRARY_IMPL(affinity, CompositeImplicitAutograd, m) {
    m.impl("filter_tables", &AffinityPlugin::filterTablesOp);
}
