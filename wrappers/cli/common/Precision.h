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
 *  - Single ("single", also "float32"): float32.
 */
enum class Precision { Auto, Double, Single };

/**
 * Parse a precision name (case-insensitive): auto, double or float64, single or float32.
 *
 * @throws std::runtime_error naming the name and the accepted ones
 */
Precision precisionFromName(const std::string& name);

/** "auto", "double" or "single". */
std::string precisionName(Precision precision);

} // namespace AffinityCli

#endif
