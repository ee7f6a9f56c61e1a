// SPDX-License-Identifier: MIT
#include "OutputNumber.h"
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

using namespace AffinityRescore;

namespace {

// Room for any double in fixed notation (309 integer digits, a sign, a point, the decimals).
constexpr size_t TextRoom = 400;

} // namespace

double AffinityRescore::roundedNumber(double value, NumberPrecision precision) {
    if (!std::isfinite(value))
        return value;
    double rounded = value;
    if (precision.kind != NumberPrecision::Exact) {
        // Printed at the precision (to_chars rounds the exact binary value correctly, in any
        // locale), then read back: the double nearest to the rounded decimal.
        char text[TextRoom];
        const auto format =
            precision.kind == NumberPrecision::Decimals ? std::chars_format::fixed : std::chars_format::scientific;
        const int digits = precision.kind == NumberPrecision::Decimals ? precision.digits : precision.digits - 1;
        const std::to_chars_result printed = std::to_chars(text, text + sizeof(text), value, format, digits);
        if (printed.ec != std::errc())
            throw std::logic_error("OutputNumber: cannot print " + std::to_string(value));
        if (std::from_chars(text, printed.ptr, rounded).ec != std::errc())
            throw std::logic_error("OutputNumber: cannot read back " + std::string(text, printed.ptr));
    }
    return rounded == 0.0 ? 0.0 : rounded; // -0 (a tiny negative value rounded) prints as 0
}

std::string AffinityRescore::numberText(double value, NumberPrecision precision) {
    const double rounded = roundedNumber(value, precision);
    if (!std::isfinite(rounded))
        return "";
    char text[TextRoom];
    const std::to_chars_result printed = std::to_chars(text, text + sizeof(text), rounded);
    if (printed.ec != std::errc())
        throw std::logic_error("OutputNumber: cannot print " + std::to_string(rounded));
    return std::string(text, printed.ptr);
}
