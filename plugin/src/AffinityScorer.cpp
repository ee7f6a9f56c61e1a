// SPDX-License-Identifier: MIT
#include "AffinityScorer.h"
#include "DeviceMemory.h"
#include "internal/PoseBatches.h"
#include "internal/PoseUpload.h"
#include "internal/TwoPassGradient.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cmath>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

AffinityScorer::AffinityScorer(AffinityModel model, const std::vector<int>& atomicNumbers,
                               const std::vector<bool>& ligandMask, const torch::Device& device,
                               torch::ScalarType dtype, double temperature)
    : bound{std::move(model),
            ComplexTopology(atomicNumbers, ligandMask, DeviceMemory::resolve(device)),
            temperature,
            DeviceMemory::resolve(device),
            dtype,
            ForwardExtras{}} {
    bound.model.to(bound.device, dtype);
    setTemperature(temperature);
    if (bound.model.takesBox())
        bound.extras.box = torch::zeros({3, 3}, bound.positionOptions());
    const int numGlobals = bound.model.getNumGlobalParameters();
    if (numGlobals > 0) {
        bound.extras.globals = torch::zeros({numGlobals}, bound.positionOptions());
        globalValues.assign(numGlobals, 0.0);
    }
}

void AffinityScorer::setGlobalParameters(const std::vector<double>& values) {
    if (values.size() != globalValues.size())
        throw OpenMMException("AffinityScorer: " + std::to_string(values.size()) +
                              " global parameter values; expected " + std::to_string(globalValues.size()) +
                              ", one per global parameter the model takes");
    if (values == globalValues)
        return; // no transfer to the device for unchanged values
    torch::NoGradGuard noGrad;
    bound.extras.globals.copy_(torch::tensor(values, torch::kFloat64));
    globalValues = values;
}

void AffinityScorer::setBox(const torch::Tensor& box) {
    if (!bound.extras.box.defined())
        return;
    torch::NoGradGuard noGrad;
    bound.extras.box.copy_(box);
}

AffinityScorer::~AffinityScorer() = default;
AffinityScorer::AffinityScorer(AffinityScorer&&) noexcept = default;
AffinityScorer& AffinityScorer::operator=(AffinityScorer&&) noexcept = default;

void AffinityScorer::setTemperature(double kelvin) {
    if (!(kelvin > 0.0) || !std::isfinite(kelvin))
        throw OpenMMException("AffinityScorer: temperature must be a positive number of kelvin");
    if (kelvin != bound.temperature)
        passes.release(); // a graph holds the temperature it was captured with (kT models)
    bound.temperature = kelvin;
}

void AffinityScorer::setTopology(const std::vector<int>& atomicNumbers, const std::vector<bool>& ligandMask) {
    if ((int)atomicNumbers.size() != getNumAtoms() || ligandMask.size() != atomicNumbers.size())
        throw OpenMMException("AffinityScorer: the number of atoms cannot change");
    passes.release(); // the graphs read the old tensors
    bound.topology = ComplexTopology(atomicNumbers, ligandMask, bound.device);
}

void AffinityScorer::checkPoses(const PoseEnsemble& poses, const std::string& who) const {
    checkPosesFit(poses, bound, who);
}

torch::Tensor AffinityScorer::uploadPoses(const PoseEnsemble& poses, int first, int count) const {
    return uploadPosesFor(bound, poses, first, count);
}

std::vector<double> AffinityScorer::poseEnergies(const PoseEnsemble& poses, int requestedBatch, double budgetMiB) {
    checkPoses(poses, "computePoseEnergies");
    const int numPoses = poses.getNumPoses();
    // All poses go to the device in one transfer; batches are views of it.
    return batchedEnergies(uploadPoses(poses, 0, numPoses), batchSize(requestedBatch, budgetMiB, false));
}

std::vector<double> AffinityScorer::batchedEnergies(const torch::Tensor& positions, int batch) {
    return TwoPassGradient::energies(passes, bound, positions, batch);
}

WeightedGradients AffinityScorer::weightedGradients(const torch::Tensor& positions, const torch::Tensor& weights,
                                                    const torch::Tensor& positionWeights, int batch) {
    return TwoPassGradient::weightedGradients(passes, bound, positions, weights, positionWeights, batch);
}

void AffinityScorer::poseGradients(const torch::Tensor& positions, bool positionGradients, int batch,
                                   const std::function<void(const PoseGradients&)>& sink) {
    const int numPoses = (int)positions.size(0);
    batch = std::max(1, std::min({batch, numPoses, MaxPosesSideBySide}));
    PoseGradientsPass& pass = passes.poseGradientsPass(bound, batch, positionGradients);
    for (const PoseBatch& b : poseBatchesOf(numPoses, batch)) {
        pass.run(positions.narrow(0, b.start, batch));
        const int fresh = batch - b.skipped; // the poses an earlier batch did not hand over
        PoseGradients out;
        out.first = b.start + b.skipped;
        out.flatParameters = pass.flatParameterGradients().narrow(0, b.skipped, fresh);
        out.energies = pass.energies().narrow(0, b.skipped, fresh);
        if (positionGradients)
            out.positions = pass.positionGradients().narrow(0, b.skipped, fresh);
        sink(out);
    }
}
