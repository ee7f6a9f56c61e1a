// SPDX-License-Identifier: MIT
// The one source of the Python module that includes LibTorch's headers.
#include "PoseArrayModel.h"
#include "AffinityScorer.h"
#include "GradientExport.h"
#include "PoseArrays.h"
#include "PoseEnsemble.h"
#include "TorchDevice.h"
#include "openmm/OpenMMException.h"
#include <sstream>
#include <torch/cuda.h>
#include <torch/script.h>

using namespace AffinityPlugin;
using namespace AffinityPython;
using OpenMM::OpenMMException;

namespace {

torch::Device deviceFromName(const std::string& name) {
    return torchDevice(DeviceName::fromName(name));
}

torch::ScalarType dtypeFromName(const std::string& name, const AffinityModel& model) {
    if (name.empty())
        return model.parameterDtype();
    if (name == "float64")
        return torch::kFloat64;
    if (name == "float32")
        return torch::kFloat32;
    throw OpenMMException("Scorer: dtype '" + name + "' is not supported; expected float32 or float64");
}

std::vector<double> toDoubles(const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const double* data = t.data_ptr<double>();
    return std::vector<double>(data, data + t.numel());
}

// A parameter that took no part in the energy may have no gradient: it is then zero.
NamedArray toNamedArray(const std::string& name, const torch::Tensor& parameter, const torch::Tensor& gradient) {
    return NamedArray{name, parameter.sizes().vec(),
                      toDoubles(gradient.defined() ? gradient : torch::zeros_like(parameter))};
}

} // namespace

struct PoseArrayModel::Impl {
    AffinityScorer scorer;
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;

    PoseEnsemble poses(const double* positions, size_t count, const std::string& who) const {
        return poseEnsembleFromArray(atomicNumbers, ligandMask, positions, count, who);
    }
    // The floating-point parameters and buffers of the model, by qualified name.
    std::vector<std::pair<std::string, torch::Tensor>> state() {
        std::vector<std::pair<std::string, torch::Tensor>> result;
        torch::jit::Module& module = scorer.getModel().getModule();
        for (const auto& p : module.named_parameters(true))
            if (p.value.is_floating_point())
                result.emplace_back(p.name, p.value);
        for (const auto& b : module.named_buffers(true))
            if (b.value.is_floating_point())
                result.emplace_back(b.name, b.value);
        return result;
    }
};

PoseArrayModel::PoseArrayModel(const ModelBytes& modelBytes, const std::vector<int>& atomicNumbers,
                               const std::vector<bool>& ligandMask, const std::string& device, const std::string& dtype,
                               double temperature) {
    if (atomicNumbers.size() != ligandMask.size()) {
        std::stringstream msg;
        msg << "Scorer: " << atomicNumbers.size() << " atomic numbers and " << ligandMask.size()
            << " ligand flags; expected one of each per atom";
        throw OpenMMException(msg.str());
    }
    AffinityModel model = AffinityModel::fromBytes(modelBytes.bytes, "the model");
    const torch::Device where = deviceFromName(device);
    const torch::ScalarType type = dtypeFromName(dtype, model);
    impl.reset(new Impl{AffinityScorer(model, atomicNumbers, ligandMask, where, type, temperature), atomicNumbers,
                        ligandMask});
}

PoseArrayModel::~PoseArrayModel() = default;

std::string PoseArrayModel::getDevice() const {
    return impl->scorer.getDevice().str();
}

std::string PoseArrayModel::getDtype() const {
    return impl->scorer.getDtype() == torch::kFloat64 ? "float64" : "float32";
}

int PoseArrayModel::getNumAtoms() const {
    return impl->scorer.getNumAtoms();
}

double PoseArrayModel::getTemperature() const {
    return impl->scorer.getTemperature();
}

void PoseArrayModel::setTemperature(double kelvin) {
    impl->scorer.setTemperature(kelvin);
}

std::string PoseArrayModel::getMatmulPrecision() const {
    return AffinityPlugin::matmulPrecisionName(impl->scorer.getMatmulPrecision());
}

void PoseArrayModel::setMatmulPrecision(const std::string& precision) {
    const std::optional<AffinityPlugin::MatmulPrecision> named = AffinityPlugin::matmulPrecisionNamed(precision);
    if (!named)
        throw OpenMM::OpenMMException("Scorer: matmul_precision is '" + precision + "'; expected " +
                                      AffinityPlugin::matmulPrecisionChoices());
    impl->scorer.setMatmulPrecision(*named);
}

std::vector<std::string> PoseArrayModel::getParameterNames() const {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : impl->scorer.getModel().trainableParameters())
        names.push_back(name);
    return names;
}

std::vector<std::string> PoseArrayModel::getStateNames() const {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : impl->state())
        names.push_back(name);
    return names;
}

void PoseArrayModel::setTensorValues(const std::string& name, const double* values, size_t count) {
    for (auto& [stateName, tensor] : impl->state()) {
        if (stateName != name)
            continue;
        if (static_cast<int64_t>(count) != tensor.numel()) {
            std::stringstream msg;
            msg << "Scorer: '" << name << "' was given " << count << " values; expected " << tensor.numel()
                << ", the size of the model's tensor " << tensor.sizes();
            throw OpenMMException(msg.str());
        }
        torch::NoGradGuard noGrad;
        const torch::Tensor source =
            torch::from_blob(const_cast<double*>(values), tensor.sizes(), torch::TensorOptions(torch::kFloat64));
        tensor.copy_(source);
        return;
    }
    throw OpenMMException("Scorer: the model has no floating-point parameter or buffer named '" + name + "'");
}

std::vector<double> PoseArrayModel::poseEnergies(const double* positions, size_t count, int batchSize,
                                                 double budgetMiB) {
    return impl->scorer.poseEnergies(impl->poses(positions, count, "poseEnergies"), batchSize, budgetMiB);
}

CombinedGradientArrays PoseArrayModel::combinedGradient(const double* positions, size_t count,
                                                        const Combination& combination, const AffinityLoss& loss,
                                                        const std::string& strategy, int batchSize, double budgetMiB,
                                                        bool positionGradients) {
    CombinedGradientOptions options;
    options.strategy = gradientStrategyFromName(strategy);
    options.batchSize = batchSize;
    options.memoryBudgetMiB = budgetMiB;
    options.positionGradients = positionGradients;
    const PoseEnsemble poses = impl->poses(positions, count, "combinedGradient");
    // combinedGradient() adds to .grad, as backward() does; starting from no gradient makes
    // what is read back the gradient of this call alone.
    const auto parameters = impl->scorer.getModel().trainableParameters();
    for (const auto& [name, tensor] : parameters)
        tensor.mutable_grad() = torch::Tensor();
    const CombinedGradientResult result =
        AffinityPlugin::combinedGradient(impl->scorer, poses, combination, loss, options);
    CombinedGradientArrays arrays;
    arrays.loss = result.loss;
    arrays.combination = result.combination;
    arrays.energies = result.energies;
    arrays.lossCoefficients = result.lossCoefficients;
    for (const auto& [name, tensor] : parameters) {
        arrays.parameterGradients.push_back(toNamedArray(name, tensor, tensor.grad()));
        tensor.mutable_grad() = torch::Tensor();
    }
    if (positionGradients)
        arrays.positionGradients = toDoubles(result.positionGradients);
    return arrays;
}

void PoseArrayModel::forEachPoseGradient(const double* positions, size_t count,
                                         const std::function<void(const PoseGradientArrays&)>& callback,
                                         bool positionGradients) {
    const PoseEnsemble poses = impl->poses(positions, count, "forEachPoseGradient");
    auto sink = [&callback](const PoseGradient& gradient) {
        PoseGradientArrays arrays;
        arrays.pose = gradient.pose;
        arrays.energy = gradient.energy;
        for (const auto& [name, tensor] : gradient.parameterGradients)
            arrays.parameterGradients.push_back(toNamedArray(name, tensor, tensor));
        if (gradient.positionGradient.defined())
            arrays.positionGradient = toDoubles(gradient.positionGradient);
        callback(arrays);
    };
    AffinityPlugin::forEachPoseGradient(impl->scorer, poses, sink, positionGradients);
}

PoseArrayModel* PoseArrayModel::withTopology(const std::vector<int>& atomicNumbers,
                                             const std::vector<bool>& ligandMask) const {
    if (atomicNumbers.size() != ligandMask.size()) {
        std::stringstream msg;
        msg << "Scorer: " << atomicNumbers.size() << " atomic numbers and " << ligandMask.size()
            << " ligand flags; expected one of each per atom";
        throw OpenMMException(msg.str());
    }
    AffinityScorer& scorer = impl->scorer;
    std::unique_ptr<PoseArrayModel> result(new PoseArrayModel());
    result->impl.reset(new Impl{AffinityScorer(scorer.getModel(), atomicNumbers, ligandMask, scorer.getDevice(),
                                               scorer.getDtype(), scorer.getTemperature()),
                                atomicNumbers, ligandMask});
    return result.release();
}

bool PoseArrayModel::sharesModelWith(const PoseArrayModel& other) const {
    const auto mine = impl->scorer.getModel().trainableParameters();
    const auto theirs = other.impl->scorer.getModel().trainableParameters();
    if (mine.size() != theirs.size())
        return false;
    for (size_t i = 0; i < mine.size(); i++)
        if (!mine[i].second.is_same(theirs[i].second))
            return false;
    return true;
}

namespace {

// The per-pose values of a set concatenated ligand by ligand.
void appendAll(std::vector<double>& to, const std::vector<double>& values) {
    to.insert(to.end(), values.begin(), values.end());
}

} // namespace

struct LigandSet::Impl {
    std::vector<PoseArrayModel*> scorers;
    std::vector<std::unique_ptr<PoseEnsemble>> poses;
    std::vector<LigandTerm> terms;
    LigandSetScores scores; // of the last score()

    CombinedGradientOptions options(int batchSize, double budgetMiB) const {
        CombinedGradientOptions result;
        result.batchSize = batchSize;
        result.memoryBudgetMiB = budgetMiB;
        return result;
    }
    std::vector<std::pair<std::string, torch::Tensor>> parameters() {
        if (terms.empty())
            throw OpenMMException("LigandSet: the set of ligands is empty; expected at least one ligand");
        return terms[0].scorer->getModel().trainableParameters();
    }
    // Run `work` from no gradient and return what it left in .grad, leaving none behind.
    std::vector<NamedArray> gradientsOf(const std::function<void()>& work) {
        const auto params = parameters();
        for (const auto& [name, tensor] : params)
            tensor.mutable_grad() = torch::Tensor();
        try {
            work();
        } catch (...) {
            for (const auto& [name, tensor] : params)
                tensor.mutable_grad() = torch::Tensor();
            throw;
        }
        std::vector<NamedArray> result;
        for (const auto& [name, tensor] : params) {
            result.push_back(toNamedArray(name, tensor, tensor.grad()));
            tensor.mutable_grad() = torch::Tensor();
        }
        return result;
    }
    SetGradientArrays arrays(const LigandSetScores& s) const {
        SetGradientArrays result;
        for (size_t l = 0; l < s.combinations.size(); l++) {
            result.deltaG.push_back(s.combinations[l].deltaG);
            result.poseCounts.push_back((int)s.energies[l].size());
            appendAll(result.energies, s.energies[l]);
            appendAll(result.weights, s.combinations[l].weights);
            appendAll(result.coefficients, s.combinations[l].coefficients);
        }
        return result;
    }
    SetGradientArrays arrays(const SetGradientResult& r) const {
        SetGradientArrays result = arrays(r.scores);
        result.loss = r.loss;
        result.lossByDeltaG = r.lossByDeltaG;
        for (size_t l = 0; l < r.lossCoefficients.size(); l++) {
            appendAll(result.lossByPoseEnergy, r.lossByPoseEnergy[l]);
            appendAll(result.lossCoefficients, r.lossCoefficients[l]);
        }
        return result;
    }
};

LigandSet::LigandSet() : impl(new Impl) {}

LigandSet::~LigandSet() = default;

void LigandSet::addLigand(PoseArrayModel& scorer, const double* positions, size_t count, double target, double sigma,
                          const std::vector<double>& poseTargets) {
    const std::string who = "LigandSet: ligand " + std::to_string(impl->terms.size());
    impl->poses.push_back(std::make_unique<PoseEnsemble>(scorer.impl->poses(positions, count, who)));
    impl->scorers.push_back(&scorer);
    LigandTerm term;
    term.scorer = &scorer.impl->scorer;
    term.poses = impl->poses.back().get();
    term.target = target;
    term.sigma = sigma;
    term.poseTargets = poseTargets;
    impl->terms.push_back(term);
}

int LigandSet::getNumLigands() const {
    return (int)impl->terms.size();
}

SetGradientArrays LigandSet::combinedGradient(const Combination& combination, const LigandSetLoss& loss,
                                              const std::string& strategy, int batchSize, double budgetMiB) {
    CombinedGradientOptions options = impl->options(batchSize, budgetMiB);
    options.strategy = gradientStrategyFromName(strategy);
    SetGradientResult result;
    std::vector<NamedArray> gradients =
        impl->gradientsOf([&] { result = AffinityPlugin::combinedGradient(impl->terms, combination, loss, options); });
    SetGradientArrays arrays = impl->arrays(result);
    arrays.parameterGradients = std::move(gradients);
    return arrays;
}

SetGradientArrays LigandSet::evaluate(const Combination& combination, const LigandSetLoss& loss, int batchSize,
                                      double budgetMiB) {
    return impl->arrays(evaluateLigandSet(impl->terms, combination, loss, impl->options(batchSize, budgetMiB)));
}

SetGradientArrays LigandSet::score(const Combination& combination, int batchSize, double budgetMiB) {
    impl->scores = scoreLigandSet(impl->terms, combination, impl->options(batchSize, budgetMiB));
    return impl->arrays(impl->scores);
}

SetGradientArrays LigandSet::backpropagate(const std::vector<double>& byDeltaG, const double* values, size_t count,
                                           int batchSize, double budgetMiB) {
    if (impl->scores.combinations.empty())
        throw OpenMMException("LigandSet.backpropagate: no scores; expected a call of score() first");
    std::vector<std::vector<double>> byPose;
    if (count > 0) {
        size_t offset = 0;
        for (const auto& energies : impl->scores.energies) {
            if (offset + energies.size() > count)
                break;
            byPose.emplace_back(values + offset, values + offset + energies.size());
            offset += energies.size();
        }
        if (offset != count || byPose.size() != impl->scores.energies.size()) {
            std::stringstream msg;
            size_t total = 0;
            for (const auto& energies : impl->scores.energies)
                total += energies.size();
            msg << "LigandSet.backpropagate: " << count << " derivatives by the pose energies; expected " << total
                << ", one per pose of the set";
            throw OpenMMException(msg.str());
        }
    }
    std::vector<std::vector<double>> g;
    std::vector<NamedArray> gradients = impl->gradientsOf([&] {
        g = addLigandSetGradient(impl->terms, impl->scores, byDeltaG, byPose, impl->options(batchSize, budgetMiB));
    });
    SetGradientArrays arrays = impl->arrays(impl->scores);
    arrays.lossByDeltaG = byDeltaG;
    for (size_t l = 0; l < g.size(); l++) {
        appendAll(arrays.lossCoefficients, g[l]);
        appendAll(arrays.lossByPoseEnergy, byPose.empty() ? std::vector<double>(g[l].size(), 0.0) : byPose[l]);
    }
    arrays.parameterGradients = std::move(gradients);
    return arrays;
}
