// SPDX-License-Identifier: MIT
#include "PeriodicImaging.h"

using namespace AffinityPlugin;

namespace {

// positions moved to the periodic image nearest `center`, for OpenMM's reduced box (a along
// x, b in the xy plane): remove whole c, then b, then a vectors from the displacement.
torch::Tensor nearestImages(const torch::Tensor& positions, const torch::Tensor& center, const torch::Tensor& box) {
    torch::Tensor delta = positions - center;
    for (int axis = 2; axis >= 0; axis--) {
        torch::Tensor shift = torch::round(delta.select(1, axis) / box[axis][axis]);
        delta = delta - shift.unsqueeze(1) * box[axis].unsqueeze(0);
    }
    return center + delta;
}

} // namespace

torch::Tensor AffinityPlugin::imageAroundLigand(const torch::Tensor& positions, const torch::Tensor& box,
                                                const torch::Tensor& ligandAtoms) {
    if (ligandAtoms.numel() == 0)
        return nearestImages(positions, positions[0], box);
    // First make the ligand whole around its first atom, then centre everything on it.
    torch::Tensor whole = nearestImages(positions, positions.index_select(0, ligandAtoms.narrow(0, 0, 1))[0], box);
    return nearestImages(whole, whole.index_select(0, ligandAtoms).mean(0), box);
}

torch::Tensor AffinityPlugin::boxTensor(const OpenMM::Vec3& a, const OpenMM::Vec3& b, const OpenMM::Vec3& c,
                                        const torch::TensorOptions& options) {
    return torch::tensor({a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]}, torch::kFloat64)
        .reshape({3, 3})
        .to(options.device(), options.dtype().toScalarType());
}

torch::Tensor AffinityPlugin::ligandAtomIndices(const std::vector<bool>& ligandMask, const torch::Device& device) {
    std::vector<int64_t> indices;
    for (size_t i = 0; i < ligandMask.size(); i++)
        if (ligandMask[i])
            indices.push_back((int64_t)i);
    return torch::tensor(indices, torch::kInt64).to(device);
}
