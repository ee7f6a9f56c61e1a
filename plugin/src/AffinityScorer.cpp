#include "AffinityScorer.h"
#include "openmm/OpenMMException.h"
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
    : model(std::move(m)), device(device), dtype(dtype), temperature(temperature) {
    if (numbers.size() != mask.size())
        throw OpenMMException("AffinityScorer: atomic numbers and ligand mask differ in length");
    model.to(device, dtype);
    atomicNumbers = topologyTensor(numbers, device);
    ligandMask = maskTensor(mask, device);
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

torch::Tensor AffinityScorer::energies(const torch::Tensor& positions) {
    return model.energies(positions, atomicNumbers, ligandMask, temperature);
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
    // An estimate for models over atom pairs: a few dense [N,N,F] feature tensors of width
    // F = 64, more when a graph is kept for the backward pass. Callers who know their model
    // set the batch size instead.
    int64_t& cached = measuredBytesPerPose[withGradient ? 1 : 0];
    if (cached == 0) {
        const int64_t n = getNumAtoms();
        const int64_t element = torch::elementSize(dtype);
        cached = std::max<int64_t>(1, n * n * 64 * element * (withGradient ? 4 : 1) + n * 3 * element);
    }
    return cached;
}

int AffinityScorer::batchSize(int requested, double budgetMiB, bool withGradient) {
    if (!model.supportsBatch())
        return 1;
    if (requested > 0)
        return requested;
    const double budget = budgetMiB * 1024.0 * 1024.0;
    return (int) std::clamp<double>(std::floor(budget / bytesPerPose(withGradient)), 1.0, 4096.0);
}

std::vector<double> AffinityScorer::poseEnergies(const PoseEnsemble& poses, int requestedBatch, double budgetMiB) {
    checkPoses(poses, "computePoseEnergies");
    const int numPoses = poses.getNumPoses();
    const int batch = batchSize(requestedBatch, budgetMiB, false);
    torch::NoGradGuard noGrad;
    std::vector<double> result;
    result.reserve(numPoses);
    for (int first = 0; first < numPoses; first += batch) {
        const int count = std::min(batch, numPoses - first);
        torch::Tensor energy = energies(uploadPoses(poses, first, count)).to(torch::kCPU, torch::kFloat64);
        const double* values = energy.data_ptr<double>();
        result.insert(result.end(), values, values + count);
    }
    return result;
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

torch::Tensor AffinityPlugin::imageAroundLigand(const torch::Tensor& positions, const torch::Tensor& box,
                                                const torch::Tensor& ligandMask) {
    if (!ligandMask.any().item<bool>())
        return nearestImages(positions, positions[0], box);
    // First make the ligand whole around its first atom, then centre everything on it.
    const int64_t first = ligandMask.nonzero()[0][0].item<int64_t>();
    torch::Tensor whole = nearestImages(positions, positions[first], box);
    return nearestImages(whole, whole.index({ligandMask}).mean(0), box);
}
