// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_MATMUL_PRECISION_H_
#define OPENMM_AFFINITY_MATMUL_PRECISION_H_

#include "AffinityExport.h"
#include <optional>
#include <string>

namespace AffinityPlugin {

/** How a float32 model's matrix products run on CUDA (the property "matmulPrecision"). */
enum class MatmulPrecision {
    /** Full float32 on the FMA units: results agree with the CPU to float32 rounding. */
    Float32,
    /**
     * TF32 tensor cores: the products' inputs are rounded to a 10-bit mantissa, their sums kept
     * in float32. Faster linears; energies and forces differ from float64 by 1e-4 to 1e-3
     * relative (a SchNet of 128 channels), not 1e-7 to 1e-6.
     */
    TF32
};

/** The property value of a precision ("float32", "tf32"). */
OPENMM_EXPORT_AFFINITY std::string matmulPrecisionName(MatmulPrecision precision);
/** The precision a property value names, or none for anything else. */
OPENMM_EXPORT_AFFINITY std::optional<MatmulPrecision> matmulPrecisionNamed(const std::string& name);
/** The accepted values, for messages: "float32 or tf32". */
OPENMM_EXPORT_AFFINITY std::string matmulPrecisionChoices();

/**
 * Sets LibTorch's precision of float32 matrix products on CUDA for its lifetime and restores the
 * previous setting after. LibTorch keeps this setting process-wide (the autograd engine's
 * threads read it too), so the plugin sets it around each model call and each backward pass
 * instead of once, leaving other users of LibTorch in the process (a Python script's own
 * PyTorch work) as they set it.
 */
class OPENMM_EXPORT_AFFINITY MatmulPrecisionScope {
public:
    explicit MatmulPrecisionScope(MatmulPrecision precision);
    ~MatmulPrecisionScope();
    MatmulPrecisionScope(const MatmulPrecisionScope&) = delete;
    MatmulPrecisionScope& operator=(const MatmulPrecisionScope&) = delete;

private:
    /** LibTorch's setting before, as the integer of its at::Float32Precision (kept out of this header). */
    int previous;
};

} // namespace AffinityPlugin

#endif
