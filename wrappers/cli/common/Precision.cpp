// SPDX-License-Identifier: MIT
#include "TorchPrecision.h"
#include <algorithm>
#include <cctype>
#include <stdexcept>

using namespace AffinityCli;

Precision AffinityCli::precisionFromName(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "auto")
        return Precision::Auto;
    if (lower == "double" || lower == "float64")
        return Precision::Double;
    if (lower == "single" || lower == "float32")
        return Precision::Single;
    if (lower == "tf32")
        return Precision::TF32;
    throw std::runtime_error("the precision is '" + name +
                             "'; expected auto, double (float64), single (float32) or tf32");
}

std::string AffinityCli::precisionName(Precision precision) {
    switch (precision) {
    case Precision::Double:
        return "double";
    case Precision::Single:
        return "single";
    case Precision::TF32:
        return "tf32";
    default:
        return "auto";
    }
}

c10::ScalarType AffinityCli::torchDtype(Precision precision, const c10::Device& device, c10::ScalarType modelDtype) {
    if (precision == Precision::Double || (precision == Precision::Auto && device.is_cpu()))
        return c10::kDouble;
    if (precision == Precision::Single || precision == Precision::TF32)
        return c10::kFloat;
    return modelDtype;
}

AffinityPlugin::MatmulPrecision AffinityCli::matmulPrecision(Precision precision) {
    return precision == Precision::TF32 ? AffinityPlugin::MatmulPrecision::TF32
                                        : AffinityPlugin::MatmulPrecision::Float32;
}
