#include "AffinityScorer.h"
#include "DeviceMemory.h"
#include "openmm/OpenMMException.h"
#include <torch/csrc/autograd/autograd.h>
#include <algorithm>
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

torch::Tensor topologyTensor(const std::vector<int>& atomicNumbers, const torch::Device& device) {
    std::vector<int64_t> values(atomicNumbers.begin(), atomicNumbers.end());
    return torch::tensor(values, torch::kInt64).to(device);
}

torch::Tensor maskTensor(const std::vector<bool>& mask, const torch::Device& device) {
    torch::Tensor result = torch::zeros({(int64_t) mask.size()}, torch::kBool);
    auto accessor = result.accessor<bool, 1>();
    for (size_t i = 0; i < mask.size(); i++)
        accessor[i] = mask[i];
    return result.to(device);
}

} // namespace

AffinityScorer::AffinityScorer(AffinityModel m, const std::vector<int>& numbers, const std::vector<bool>& mask,
                               const torch::Device& device, torch::ScalarType dtype, double temperature)
    : model(std::move(m)), device(DeviceMemory::resolve(device)), dtype(dtype), temperature(temperature) {
    if (numbers.size() != mask.size())
        throw OpenMMException("AffinityScorer: atomic numbers and ligand mask differ in length");
    model.to(this->device, dtype);
    atomicNumbers = topologyTensor(numbers, this->device);
    ligandMask = maskTensor(mask, this->device);
    setTemperature(temperature);
}

void AffinityScorer::setTemperature(double kelvin) {
    if (!(kelvin > 0.0) || !std::isfinite(kelvin))
        throw OpenMMException("AffinityScorer: temperature must be a positive number of kelvin");
    temperature = kelvin;
}

void AffinityScorer::setTopology(const std::vector<int>& numbers, const std::vector<bool>& mask) {
    if ((int64_t) numbers.size() != atomicNumbers.size(0) || mask.size() != numbers.size())
        throw OpenMMException("AffinityScorer: the number of atoms cannot change");
    atomicNumbers = topologyTensor(numbers, device);
    ligandMask = maskTensor(mask, device);
}

torch::Tensor AffinityScorer::energies(const torch::Tensor& positions, bool checkFinite) {
    return model.energies(positions, atomicNumbers, ligandMask, temperature, checkFinite);
}

void AffinityScorer::checkPoses(const PoseEnsemble& poses, const std::string& who) const {
    if (poses.getNumAtoms() != getNumAtoms()) {
        std::stringstream msg;
        msg << who << ": the poses have " << poses.getNumAtoms() << " atoms; expected " << getNumAtoms()
            << ", the atoms the model sees";
        throw OpenMMException(msg.str());
    }
    if (model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask) {
        auto numbers = atomicNumbers.cpu();
        auto mask = ligandMask.cpu();
        for (int i = 0; i < getNumAtoms(); i++)
            if (numbers[i].item<int64_t>() != poses.getAtomicNumbers()[i] ||
                mask[i].item<bool>() != (bool) poses.getLigandMask()[i]) {
                std::stringstream msg;
                msg << who << ": atom " << i << " of the poses has atomic number " << poses.getAtomicNumbers()[i]
                    << (poses.getLigandMask()[i] ? " (ligand)" : " (receptor)") << "; expected "
                    << numbers[i].item<int64_t>() << (mask[i].item<bool>() ? " (ligand)" : " (receptor)");
                throw OpenMMException(msg.str());
            }
    }
    poses.validate(who);
}

torch::Tensor AffinityScorer::uploadPoses(const PoseEnsemble& poses, int first, int count) const {
    // from_blob views the ensemble's own storage; the one copy is the transfer to the
    // scorer's device and dtype.
    auto view = torch::from_blob(const_cast<double*>(poses.getPosePositions(first)), {count, getNumAtoms(), 3},
                                 torch::kFloat64);
    return view.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

int64_t AffinityScorer::bytesPerPose(bool withGradient) {
    int64_t& cached = measuredBytesPerPose[withGradient ? 1 : 0];
    if (cached > 0)
        return cached;
    const int64_t n = getNumAtoms();
    // On a GPU, measure: the peak allocation of a probe batch of random poses, per pose
    // (memory does not depend on where the atoms are).
    const int probe = 4;
    torch::Tensor x = torch::rand({probe, n, 3}, torch::TensorOptions().dtype(dtype).device(device));
    const int64_t measured = DeviceMemory::peakOf(device, [&] {
        if (!withGradient) {
            torch::NoGradGuard noGrad;
            energies(x, false);
            return;
        }
        torch::Tensor leaf = x.clone().requires_grad_(true);
        torch::Tensor e = energies(leaf, false);
        torch::autograd::grad({e.sum()}, {leaf});
    });
    cached = std::max<int64_t>(1, measured / probe);
    return cached;
}

int AffinityScorer::batchSize(int requested, double budgetMiB, bool withGradient) {
    if (!model.supportsBatch())
        return 1;
    if (requested > 0)
        return requested;
    // On the CPU, batching does not pay: the SchNet benchmark model (640 atoms, 2 cores) took
    // 175 ms per pose one at a time and 290 ms in batches of 16 (benchmarks/RESULTS.md), as
    // larger tensors leave the caches. A caller who knows better sets the batch size.
    if (!device.is_cuda())
        return 1;
    const double budget = budgetMiB * 1024.0 * 1024.0;
    return (int) std::clamp<double>(std::floor(budget / bytesPerPose(withGradient)), 1.0, 4096.0);
}

std::vector<double> AffinityScorer::poseEnergies(const PoseEnsemble& poses, int requestedBatch, double budgetMiB) {
    checkPoses(poses, "computePoseEnergies");
    const int numPoses = poses.getNumPoses();
    // All poses go to the device in one transfer; batches are views of it.
    return batchedEnergies(uploadPoses(poses, 0, numPoses), batchSize(requestedBatch, budgetMiB, false));
}

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

std::vector<double> AffinityScorer::batchedEnergies(const torch::Tensor& positions, int batch) {
    torch::NoGradGuard noGrad;
    // The energies stay on the device until every batch is done, so the GPU is not stalled by
    // a read-back per batch.
    //
    // Every call has the same batch shape: a short last batch is instead the last `batch`
    // poses, overlapping the one before, of which only the new energies are kept. TorchScript
    // compiles its fused kernels for the first shapes it sees and falls back to slower code
    // for further ones; on the H100 a third shape cut the benchmark model's throughput by four.
    const int numPoses = (int) positions.size(0);
    std::vector<torch::Tensor> batches;
    for (int first = 0; first < numPoses; first += batch) {
        const int count = std::min(batch, numPoses - first);
        if (count == batch || numPoses < batch)
            batches.push_back(energies(positions.narrow(0, first, count), false));
        else
            batches.push_back(energies(positions.narrow(0, numPoses - batch, batch), false).narrow(0, batch - count, count));
    }
    torch::Tensor energy = torch::cat(batches);
    model.checkFinite(energy);
    energy = energy.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(energy.data_ptr<double>(), energy.data_ptr<double>() + numPoses);
}

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
            indices.push_back((int64_t) i);
    return torch::tensor(indices, torch::kInt64).to(device);
}
