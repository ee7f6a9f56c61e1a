// SPDX-License-Identifier: MIT
#include "ParameterOptimizer.h"
#include "OutputFile.h"
#include "openmm/OpenMMException.h"
#include <cstdio>
#include <sstream>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

const char* const CheckpointFormat = "affinity-train checkpoint 1";

std::string describeShape(const torch::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

} // namespace

class ParameterOptimizer::Impl {
public:
    std::vector<std::pair<std::string, torch::Tensor>> parameters;
    std::string method;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
};

ParameterOptimizer::ParameterOptimizer(std::vector<std::pair<std::string, torch::Tensor>> parameters,
                                       const OptimizerSettings& settings)
    : impl(new Impl) {
    impl->parameters = std::move(parameters);
    impl->method = settings.method;
    std::vector<torch::Tensor> tensors;
    for (const auto& p : impl->parameters)
        tensors.push_back(p.second);
    if (settings.method == "adam")
        impl->optimizer = std::make_unique<torch::optim::Adam>(
            tensors, torch::optim::AdamOptions(settings.learningRate).weight_decay(settings.weightDecay));
    else if (settings.method == "sgd")
        impl->optimizer = std::make_unique<torch::optim::SGD>(
            tensors, torch::optim::SGDOptions(settings.learningRate).weight_decay(settings.weightDecay));
    else
        throw OpenMMException("affinity-train: the optimizer is '" + settings.method + "'; expected adam or sgd");
}

ParameterOptimizer::~ParameterOptimizer() = default;

void ParameterOptimizer::zeroGradients() {
    torch::NoGradGuard noGrad;
    for (auto& p : impl->parameters) {
        if (p.second.grad().defined())
            p.second.mutable_grad().zero_();
        else
            p.second.mutable_grad() = torch::zeros_like(p.second);
    }
}

void ParameterOptimizer::scaleGradients(double factor) {
    torch::NoGradGuard noGrad;
    for (auto& p : impl->parameters)
        if (p.second.grad().defined())
            p.second.mutable_grad().mul_(factor);
}

void ParameterOptimizer::step() {
    impl->optimizer->step();
}

void ParameterOptimizer::saveCheckpoint(const std::string& file, const TrainingProgress& progress) const {
    torch::serialize::OutputArchive archive;
    std::string names;
    for (size_t i = 0; i < impl->parameters.size(); i++) {
        names += impl->parameters[i].first + "\n";
        archive.write("parameter_" + std::to_string(i), impl->parameters[i].second.detach().cpu());
    }
    archive.write("format", c10::IValue(std::string(CheckpointFormat)));
    archive.write("parameter_names", c10::IValue(names));
    archive.write("method", c10::IValue(impl->method));
    archive.write("epoch", c10::IValue((int64_t)progress.epoch));
    archive.write("seed", c10::IValue(progress.seed));
    torch::serialize::OutputArchive optimizerArchive;
    impl->optimizer->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    // Through OutputFile: the checkpoint is replaced whole or not at all, and a full disk is an
    // error reported here, not an exception thrown by LibTorch's writer in its destructor (an abort).
    try {
        AffinityCli::OutputFile out(file, "--checkpoint");
        archive.save_to(out.stream());
        out.commit();
    } catch (const std::runtime_error& e) {
        throw OpenMMException("affinity-train: " + std::string(e.what()) + " (epoch " + std::to_string(progress.epoch) +
                              "; the checkpoint it replaces, if any, is intact)");
    }
}

TrainingProgress ParameterOptimizer::loadCheckpoint(const std::string& file) {
    torch::serialize::InputArchive archive;
    c10::IValue format, names, method, epoch, seed;
    try {
        archive.load_from(file);
        archive.read("format", format);
        archive.read("parameter_names", names);
        archive.read("method", method);
        archive.read("epoch", epoch);
        archive.read("seed", seed);
    } catch (const c10::Error& e) {
        throw OpenMMException("affinity-train: " + file +
                              " is not an affinity-train checkpoint: " + e.what_without_backtrace());
    }
    if (!format.isString() || format.toStringRef() != CheckpointFormat)
        throw OpenMMException("affinity-train: " + file + " is not an affinity-train checkpoint (format '" +
                              (format.isString() ? format.toStringRef() : std::string("?")) + "')");
    if (method.toStringRef() != impl->method)
        throw OpenMMException("affinity-train: the checkpoint " + file + " was written with the optimizer " +
                              method.toStringRef() + "; this run uses " + impl->method);
    std::string expected;
    for (const auto& p : impl->parameters)
        expected += p.first + "\n";
    if (names.toStringRef() != expected)
        throw OpenMMException("affinity-train: the checkpoint " + file +
                              " holds the parameters of another model; expected those of the model being trained");
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < impl->parameters.size(); i++) {
        torch::Tensor saved;
        archive.read("parameter_" + std::to_string(i), saved);
        torch::Tensor& target = impl->parameters[i].second;
        if (!saved.sizes().equals(target.sizes()))
            throw OpenMMException("affinity-train: the checkpoint " + file + " has parameter " +
                                  impl->parameters[i].first + " of shape " + describeShape(saved) + "; expected " +
                                  describeShape(target));
        target.copy_(saved);
    }
    torch::serialize::InputArchive optimizerArchive;
    archive.read("optimizer", optimizerArchive);
    impl->optimizer->load(optimizerArchive);
    TrainingProgress progress;
    progress.epoch = (int)epoch.toInt();
    progress.seed = seed.toInt();
    return progress;
}

} // namespace AffinityTrain
