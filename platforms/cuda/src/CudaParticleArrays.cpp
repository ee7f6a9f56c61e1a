// SPDX-License-Identifier: MIT
#include "CudaParticleArrays.h"

using namespace AffinityPlugin;
using OpenMM::CudaContext;

namespace {

torch::Tensor deviceArray(CUdeviceptr pointer, at::IntArrayRef sizes, torch::ScalarType dtype,
                          const torch::Device& device) {
    return torch::from_blob(reinterpret_cast<void*>(pointer), sizes,
                            torch::TensorOptions().dtype(dtype).device(device));
}

} // namespace

CudaParticleArrays::CudaParticleArrays(const std::vector<int>& indices, const torch::Device& device) {
    std::vector<int64_t> values(indices.begin(), indices.end());
    systemIndices = torch::tensor(values, torch::kInt64).to(device);
}

torch::Tensor CudaParticleArrays::rowsOfParticles(CudaContext& cu) {
    const torch::Device device = systemIndices.device();
    const int numAtoms = cu.getNumAtoms();
    torch::Tensor atomIndex =
        deviceArray(cu.getAtomIndexArray().getDevicePointer(), {numAtoms}, torch::kInt32, device).to(torch::kInt64);
    // Invert the reordering: rowOf[systemIndex] = row.
    torch::Tensor rowOf = torch::empty({numAtoms}, systemIndices.options());
    rowOf.index_put_({atomIndex}, torch::arange(numAtoms, systemIndices.options()));
    rows = rowOf.index_select(0, systemIndices);
    return rows;
}

torch::Tensor CudaParticleArrays::gatherPositions(CudaContext& cu, torch::ScalarType dtype) {
    const torch::Device device = systemIndices.device();
    const int padded = cu.getPaddedNumAtoms();
    torch::Tensor selected = rowsOfParticles(cu);
    torch::Tensor posq = deviceArray(cu.getPosq().getDevicePointer(), {padded, 4},
                                     cu.getUseDoublePrecision() ? torch::kFloat64 : torch::kFloat32, device);
    torch::Tensor positions = posq.index_select(0, selected).narrow(1, 0, 3);
    if (cu.getUseMixedPrecision()) {
        torch::Tensor correction =
            deviceArray(cu.getPosqCorrection().getDevicePointer(), {padded, 4}, torch::kFloat32, device);
        positions =
            positions.to(torch::kFloat64) + correction.index_select(0, selected).narrow(1, 0, 3).to(torch::kFloat64);
    }
    return positions.to(dtype).contiguous();
}

void CudaParticleArrays::addForces(CudaContext& cu, const torch::Tensor& gradient) {
    const int padded = cu.getPaddedNumAtoms();
    torch::Tensor forces =
        deviceArray(cu.getLongForceBuffer().getDevicePointer(), {3, padded}, torch::kInt64, systemIndices.device());
    // OpenMM's fixed point: a force of 1 kJ/mol/nm is 2^32, converted with truncation as its
    // own kernels do. Each particle has one row, so the additions do not collide.
    torch::Tensor fixed = (gradient.to(torch::kFloat64) * -4294967296.0).to(torch::kInt64).t().contiguous();
    forces.index_add_(1, rows, fixed);
}
