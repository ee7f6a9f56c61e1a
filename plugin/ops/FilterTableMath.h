// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FILTER_TABLE_MATH_H_
#define OPENMM_AFFINITY_FILTER_TABLE_MATH_H_

// The element-wise stages of affinity::filter_tables (see FilterTables.h), written once for the
// host loops and the CUDA kernels: each function computes the entries of one index of its
// stage. No LibTorch header, so that nvcc compiles it alone. Every array is contiguous and in
// double precision except the table and its gradient, whose type is a template argument.
//
// For K blocks, T lengths, F filters and G Gaussians, the arrays are
//   basis  [2, T, G+1]  the expansion at the lengths (G columns) and the envelope (the last
//                        column); below them, their derivatives with respect to the length
//   hidden [2T, K F]    the basis rows times every block's first layer (no bias); rows T..2T-1
//                        are the slopes' rows
//   acts   [K, 2T, F]   S = softplus(hidden + b1) - shift, then Q = sigmoid(hidden + b1) *
//                        (the slopes' row): the inputs of the second layer
//   linear [K, 2T, F]   acts times the second layer's weights (no bias): V (values) and P
//                        (slopes) before the envelope
//   table  [K, T-1, 4, F] the cubic of each segment
// The biases b1 and b2 are [K F]. The backward stages take the same arrays' gradients.

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define AFFINITY_HD __host__ __device__
#else
#define AFFINITY_HD
#endif

namespace AffinityPlugin {
namespace FilterTableMath {

/** The sizes of one call, and the table's spacing and the activation's shift. */
struct Shape {
    int64_t blocks, points, filters, gaussians;
    double spacing, shift;
};

/**
 * The entry a stage computes: a row (a length t, or a segment), a block k and a filter f. Every
 * stage covers rows x K x F, f fastest, so that neighbouring threads touch neighbouring memory.
 */
struct Index {
    int64_t row, block, filter;
};

/** The sigmoid, as z / (1 + z) with z = e^a up to softplus's threshold (which is also softplus's
 * derivative as PyTorch's backward computes it), 1 / (1 + e^-a) above. */
AFFINITY_HD inline double sigmoid(double a) {
    if (a > 20.0)
        return 1.0 / (1.0 + exp(-a));
    const double z = exp(a);
    return z / (1.0 + z);
}

/** softplus(a) (PyTorch's, beta 1 and threshold 20: a itself above it) and the sigmoid, from one
 * exponential. */
struct Softplus {
    double value, sigmoid;
};

AFFINITY_HD inline Softplus softplus(double a) {
    if (a > 20.0)
        return {a, sigmoid(a)};
    const double z = exp(a);
    return {log1p(z), z / (1.0 + z)};
}

/** The envelope at length index t, or (slope) its derivative with respect to the length. */
AFFINITY_HD inline double envelope(const Shape& s, const double* basis, int64_t t, bool slope) {
    return basis[((slope ? s.points : 0) + t) * (s.gaussians + 1) + s.gaussians];
}

/** Both entries (S and Q) of the activations at length t = row, for T rows. */
AFFINITY_HD inline void activations(const Shape& s, const double* hidden, const double* firstBias, double* acts,
                                    Index at) {
    const int64_t t = at.row, k = at.block, f = at.filter, kf = k * s.filters + f;
    const double a = hidden[t * s.blocks * s.filters + kf] + firstBias[kf];
    const double slopeRow = hidden[(s.points + t) * s.blocks * s.filters + kf];
    double* out = acts + k * 2 * s.points * s.filters + f;
    const Softplus act = softplus(a);
    out[t * s.filters] = act.value - s.shift;
    out[(s.points + t) * s.filters] = act.sigmoid * slopeRow;
}

/**
 * The table's entries of segment row, for T-1 rows: the value y and the slope m (d/dt across
 * the segment) at both ends of the segment, from V + b2 and P times the envelope and its
 * derivative, then the Hermite cubic's coefficients [y0, m0, 3(y1-y0) - 2m0 - m1, 2(y0-y1) + m0 + m1].
 */
template <typename Out>
AFFINITY_HD inline void cubics(const Shape& s, const double* linear, const double* secondBias, const double* basis,
                               Out* table, Index at) {
    const int64_t segments = s.points - 1, seg = at.row, k = at.block, f = at.filter;
    const double* v = linear + k * 2 * s.points * s.filters + f;
    const double bias = secondBias[k * s.filters + f];
    double y[2], m[2];
    for (int end = 0; end < 2; end++) {
        const int64_t t = seg + end;
        const double value = v[t * s.filters] + bias, slope = v[(s.points + t) * s.filters];
        const double e = envelope(s, basis, t, false), de = envelope(s, basis, t, true);
        y[end] = value * e;
        m[end] = (slope * e + value * de) * s.spacing;
    }
    Out* c = table + ((k * segments + seg) * 4) * s.filters + f;
    c[0] = static_cast<Out>(y[0]);
    c[s.filters] = static_cast<Out>(m[0]);
    c[2 * s.filters] = static_cast<Out>(3.0 * (y[1] - y[0]) - 2.0 * m[0] - m[1]);
    c[3 * s.filters] = static_cast<Out>(2.0 * (y[0] - y[1]) + m[0] + m[1]);
}

/**
 * The gradient of `linear` at length t = row (both entries, V and P), for T rows, from the
 * table's gradient: the adjoint of `cubics`. Length t is the start of segment t (if t < T-1) and the end of segment t-1
 * (if t > 0).
 */
template <typename Grad>
AFFINITY_HD inline void cubicsAdjoint(const Shape& s, const Grad* tableGrad, const double* basis, double* linearGrad,
                                      Index at) {
    const int64_t segments = s.points - 1, t = at.row, k = at.block, f = at.filter;
    double gy = 0.0, gm = 0.0;
    auto coefficient = [&](int64_t seg, int c) {
        return static_cast<double>(tableGrad[((k * segments + seg) * 4 + c) * s.filters + f]);
    };
    if (t < segments) { // y0 and m0 of segment t
        gy += coefficient(t, 0) - 3.0 * coefficient(t, 2) + 2.0 * coefficient(t, 3);
        gm += coefficient(t, 1) - 2.0 * coefficient(t, 2) + coefficient(t, 3);
    }
    if (t > 0) { // y1 and m1 of segment t-1
        gy += 3.0 * coefficient(t - 1, 2) - 2.0 * coefficient(t - 1, 3);
        gm += coefficient(t - 1, 3) - coefficient(t - 1, 2);
    }
    const double e = envelope(s, basis, t, false), de = envelope(s, basis, t, true);
    double* g = linearGrad + k * 2 * s.points * s.filters + f;
    g[t * s.filters] = gy * e + gm * de * s.spacing;    // of V
    g[(s.points + t) * s.filters] = gm * e * s.spacing; // of P
}

/**
 * The gradient of `hidden` at length t = row (both entries), for T rows, from that of the activations, written over
 * `hidden` itself (each index reads its two entries before it writes them): the adjoint of
 * `activations`.
 */
AFFINITY_HD inline void activationsAdjoint(const Shape& s, double* hidden, const double* firstBias,
                                           const double* actsGrad, Index at) {
    const int64_t t = at.row, k = at.block, f = at.filter, kf = k * s.filters + f;
    double* value = hidden + t * s.blocks * s.filters + kf;
    double* slope = hidden + (s.points + t) * s.blocks * s.filters + kf;
    const double a = *value + firstBias[kf], slopeRow = *slope;
    const double* g = actsGrad + k * 2 * s.points * s.filters + f;
    const double gS = g[t * s.filters], gQ = g[(s.points + t) * s.filters];
    const double sig = sigmoid(a); // softplus's slope below its threshold, 1 above
    *value = gS * (a > 20.0 ? 1.0 : sig) + gQ * slopeRow * (1.0 - sig) * sig;
    *slope = gQ * sig;
}

} // namespace FilterTableMath
} // namespace AffinityPlugin

#endif
