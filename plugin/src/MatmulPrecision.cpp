// SPDX-License-Identifier: MIT
#include "MatmulPrecision.h"
#include <ATen/Context.h>

using namespace AffinityPlugin;

namespace {

// The CUDA matrix-product entry of LibTorch's float32 precision settings; cuBLAS and cuBLASLt
// calls read it when they choose their compute type.
int cudaMatmulPrecision() {
    return (int)at::globalContext().float32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL);
}

void setCudaMatmulPrecision(int precision) {
    at::globalContext().setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL,
                                            (at::Float32Precision)precision);
}

} // namespace

std::string AffinityPlugin::matmulPrecisionName(MatmulPrecision precision) {
    return precision == MatmulPrecision::TF32 ? "tf32" : "float32";
}

std::optional<MatmulPrecision> AffinityPlugin::matmulPrecisionNamed(const std::string& name) {
    for (MatmulPrecision precision : {MatmulPrecision::Float32, MatmulPrecision::TF32})
        if (name == matmulPrecisionName(precision))
            return precision;
    return std::nullopt;
}

std::string AffinityPlugin::matmulPrecisionChoices() {
    return matmulPrecisionName(MatmulPrecision::Float32) + " or " + matmulPrecisionName(MatmulPrecision::TF32);
}

MatmulPrecisionScope::MatmulPrecisionScope(MatmulPrecision precision) : previous(cudaMatmulPrecision()) {
    setCudaMatmulPrecision(
        (int)(precision == MatmulPrecision::TF32 ? at::Float32Precision::TF32 : at::Float32Precision::IEEE));
}

MatmulPrecisionScope::~MatmulPrecisionScope() {
    setCudaMatmulPrecision(previous);
}
