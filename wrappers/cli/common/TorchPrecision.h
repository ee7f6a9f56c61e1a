// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_TORCH_PRECISION_H_
#define AFFINITY_CLI_TORCH_PRECISION_H_

// For the few translation units that already include LibTorch: a precision as a dtype.

#include "MatmulPrecision.h"
#include "Precision.h"
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace AffinityCli {

/** The dtype of a precision on a device, for a model whose parameters have modelDtype. */
c10::ScalarType torchDtype(Precision precision, const c10::Device& device, c10::ScalarType modelDtype);
/** How a precision runs a float32 model's matrix products (TF32 for tf32, else float32). */
AffinityPlugin::MatmulPrecision matmulPrecision(Precision precision);

} // namespace AffinityCli

#endif
