#include "AffinityScorer.h"
#include "DeviceMemory.h"
#include "internal/BatchPasses.h"
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
    hostAtomicNumbers = numbers;
    hostLigandMask = mask;
    setTemperature(temperature);
}

AffinityScorer::~AffinityScorer() = default;
AffinityScorer::AffinityScorer(AffinityScorer&&) noexcept = default;
AffinityScorer& AffinityScorer::operator=(AffinityScorer&&) noexcept = default;

void AffinityScorer::setTemperature(double kelvin) {
    if (!(kelvin > 0.0) || !std::isfinite(kelvin))
        throw OpenMMException("AffinityScorer: temperature must be a positive number of kelvin");
    if (kelvin != temperature)
        releaseCUDAGraphs(); // a graph holds the temperature it was captured with (kT models)
    temperature = kelvin;
}

void AffinityScorer::setUseCUDAGraphs(bool use) {
    if (use != useCUDAGraphs)
        releaseCUDAGraphs();
    useCUDAGraphs = use;
}

int AffinityScorer::getNumCapturedGraphs() const {
    return (energyPass && energyPass->capturedCall().isCaptured() ? 1 : 0) +
           (gradientPass && gradientPass->capturedCall().isCaptured() ? 1 : 0);
}

std::string AffinityScorer::getCUDAGraphFailure() const {
    for (const CapturedCall* call : {energyPass ? &energyPass->capturedCall() : nullptr,
                                     gradientPass ? &gradientPass->capturedCall() : nullptr})
        if (call && !call->failure().empty())
            return call->failure();
    return "";
}

void AffinityScorer::releaseCUDAGraphs() {
    energyPass.reset();
    gradientPass.reset();
    graphPool.reset();
}

GraphMemoryPool AffinityScorer::batchGraphPool() {
    // One pool (and stream) for the energy and the gradient graph: they run one after the other
    // and their outputs are copied out at once, so they can hold one batch's working memory
    // between them.
    if (!graphPool && device.is_cuda())
        graphPool = std::make_unique<GraphMemoryPool>(GraphMemoryPool::create(device));
    return graphPool ? *graphPool : GraphMemoryPool{};
}

void AffinityScorer::setTopology(const std::vector<int>& numbers, const std::vector<bool>& mask) {
    if ((int64_t) numbers.size() != atomicNumbers.size(0) || mask.size() != numbers.size())
        throw OpenMMException("AffinityScorer: the number of atoms cannot change");
    releaseCUDAGraphs(); // the graphs read the old tensors
    atomicNumbers = topologyTensor(numbers, device);
    ligandMask = maskTensor(mask, device);
    hostAtomicNumbers = numbers;
    hostLigandMask = mask;
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
        // Compared on the host copies: reading the device tensors element by element cost
        // milliseconds per call, more than a small batch's evaluation.
        for (int i = 0; i < getNumAtoms(); i++)
            if (hostAtomicNumbers[i] != poses.getAtomicNumbers()[i] || hostLigandMask[i] != poses.getLigandMask()[i]) {
                std::stringstream msg;
                msg << who << ": atom " << i << " of the poses has atomic number " << poses.getAtomicNumbers()[i]
                    << (poses.getLigandMask()[i] ? " (ligand)" : " (receptor)") << "; expected " << hostAtomicNumbers[i]
                    << (hostLigandMask[i] ? " (ligand)" : " (receptor)");
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
    // Drawn on the CPU: a CUDA generator can be left unusable by a graph capture that a model with
    // data-dependent shapes (nonzero, masked indexing) made fail.
    torch::Tensor x = torch::rand({probe, n, 3}, torch::TensorOptions().dtype(dtype)).to(device);
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

// Batches of exactly `batch` poses covering [0, numPoses): a short last batch is instead the
// last `batch` poses, overlapping the one before, of which only the new poses count. Every call
// then has the same shape: TorchScript compiles its fused kernels for the first shapes it sees
// and falls back to slower code for further ones (on the H100 a third shape cut the benchmark
// model's throughput by four), and a CUDA graph replays one shape.
struct Batch {
    int start;   // the first pose evaluated
    int skipped; // poses at its start that an earlier batch already covered
};

std::vector<Batch> batchesOf(int numPoses, int batch) {
    std::vector<Batch> result;
    for (int first = 0; first < numPoses; first += batch) {
        const int count = std::min(batch, numPoses - first);
        result.push_back({first + count - batch, batch - count});
    }
    return result;
}

} // namespace

std::vector<double> AffinityScorer::batchedEnergies(const torch::Tensor& positions, int batch) {
    torch::NoGradGuard noGrad;
    const int numPoses = (int) positions.size(0);
    batch = std::min(batch, numPoses);
    if (!energyPass || energyPass->batchSize() != batch)
        energyPass = std::make_unique<EnergyBatchPass>(*this, batch, useCUDAGraphs, batchGraphPool());
    // The energies stay on the device until every batch is done, so the GPU is not stalled by
    // a read-back per batch.
    torch::Tensor energy = torch::empty({numPoses}, positions.options());
    for (const Batch& b : batchesOf(numPoses, batch)) {
        const torch::Tensor& out = energyPass->run(*this, positions.narrow(0, b.start, batch));
        energy.narrow(0, b.start + b.skipped, batch - b.skipped).copy_(out.narrow(0, b.skipped, batch - b.skipped));
    }
    model.checkFinite(energy);
    energy = energy.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(energy.data_ptr<double>(), energy.data_ptr<double>() + numPoses);
}

WeightedGradients AffinityScorer::weightedGradients(const torch::Tensor& positions, const torch::Tensor& weights,
                                                    const torch::Tensor& positionWeights, int batch) {
    const int numPoses = (int) positions.size(0);
    const bool withPositions = positionWeights.defined();
    batch = std::min(batch, numPoses);
    if (!gradientPass || gradientPass->batchSize() != batch || gradientPass->hasPositionGradients() != withPositions)
        gradientPass = std::make_unique<GradientBatchPass>(*this, batch, withPositions, useCUDAGraphs, batchGraphPool());
    gradientPass->clear();
    WeightedGradients result;
    if (withPositions)
        result.positions = torch::empty_like(positions);
    for (const Batch& b : batchesOf(numPoses, batch)) {
        torch::Tensor w = weights.narrow(0, b.start, batch);
        if (b.skipped > 0) { // poses that an earlier batch covered add nothing again
            w = w.clone();
            w.narrow(0, 0, b.skipped).zero_();
        }
        gradientPass->run(*this, positions.narrow(0, b.start, batch), w,
                          withPositions ? positionWeights.narrow(0, b.start, batch) : torch::Tensor());
        if (withPositions)
            result.positions.narrow(0, b.start + b.skipped, batch - b.skipped)
                .copy_(gradientPass->positionGradients().narrow(0, b.skipped, batch - b.skipped));
    }
    // A copy: the pass's sums are cleared by its next call.
    result.parameters = viewsOf(gradientPass->flatParameterGradients().clone(), gradientPass->trainableParameters());
    return result;
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
