// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_PRECISION_H_
#define AFFINITY_CLI_PRECISION_H_

#include <string>

namespace AffinityCli {

/**
 * The floating-point precision a model runs in:
 *  - Auto ("auto"): float64 on the CPU, where it costs little for a pocket complex, and the
 *    model's own dtype on CUDA;
 *  - Double ("double", also "float64"): float64;
 *  - Single ("single", also "float32"): float32;
 *  - TF32 ("tf32"): float32, with the model's matrix products on TF32 tensor cores on CUDA
 *    (faster; energies and forces 1e-4 to 1e-3 relative from float64's); on the CPU the same as single.
 */
enum class Precision { Auto, Double, Single, TF32 };

/**
 * Parse a precision name (case-insensitive): auto, double or float64, single or float32, tf32.
 *
 * @throws std::runtime_error naming the name and the accepted ones
 */
Precision precisionFromName(const std::string& name);

/** "auto", "double", "single" or "tf32". */
std::string precisionName(Precision precision);

} // namespace AffinityCli

#endif
