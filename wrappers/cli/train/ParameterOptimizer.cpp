// SPDX-License-Identifier: MIT
#include "ParameterOptimizer.h"
#include "CheckpointFile.h"
#include "internal/ModelBytes.h"
#include "internal/PrintableText.h"
#include "openmm/OpenMMException.h"
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
    std::ostringstream archiveBytes;
    try {
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
        archive.write("settings", c10::IValue(progress.settings));
        torch::serialize::OutputArchive optimizerArchive;
        impl->optimizer->save(optimizerArchive);
        archive.write("optimizer", optimizerArchive);
        // Into memory: LibTorch's own file writer ends the process when the disk is full.
        archive.save_to(archiveBytes);
    } catch (const c10::Error& e) {
        throw OpenMMException("affinity-train: cannot make the checkpoint " + file + ": " + e.what_without_backtrace());
    }
    writeCheckpointFile(file, archiveBytes.str());
}

namespace {

/** A value of the checkpoint, of the type expected. */
const c10::IValue& expectValue(const c10::IValue& value, bool ofType, const std::string& name,
                               const std::string& file) {
    if (!ofType)
        throw OpenMMException("affinity-train: the checkpoint " + file + " is damaged: its " + name + " is a " +
                              value.tagKind());
    return value;
}

} // namespace

TrainingProgress ParameterOptimizer::loadCheckpoint(const std::string& file) {
    const std::string bytes = readCheckpointFile(file);
    try {
        AffinityPlugin::checkTorchScriptArchive(bytes);
    } catch (const std::runtime_error& e) {
        throw OpenMMException("affinity-train: the checkpoint " + file +
                              " is damaged: " + AffinityPlugin::printableText(e.what()));
    }
    TrainingProgress progress;
    try {
        torch::serialize::InputArchive archive;
        std::istringstream in(bytes);
        archive.load_from(in, torch::kCPU);
        c10::IValue format, names, method, epoch, seed, settings;
        archive.read("format", format);
        archive.read("parameter_names", names);
        archive.read("method", method);
        archive.read("epoch", epoch);
        archive.read("seed", seed);
        if (!format.isString() || format.toStringRef() != CheckpointFormat)
            throw OpenMMException("affinity-train: " + file + " is not an affinity-train checkpoint (format '" +
                                  (format.isString() ? format.toStringRef() : std::string("?")) + "')");
        expectValue(method, method.isString(), "optimizer", file);
        expectValue(names, names.isString(), "parameter names", file);
        expectValue(epoch, epoch.isInt() && epoch.toInt() >= 0, "epoch", file);
        expectValue(seed, seed.isInt(), "seed", file);
        if (archive.try_read("settings", settings))
            progress.settings = expectValue(settings, settings.isString(), "settings", file).toStringRef();
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
            if (!saved.defined() || !saved.sizes().equals(target.sizes()))
                throw OpenMMException("affinity-train: the checkpoint " + file + " has parameter " +
                                      impl->parameters[i].first + " of shape " +
                                      (saved.defined() ? describeShape(saved) : std::string("(none)")) + "; expected " +
                                      describeShape(target));
            target.copy_(saved);
        }
        torch::serialize::InputArchive optimizerArchive;
        archive.read("optimizer", optimizerArchive);
        impl->optimizer->load(optimizerArchive);
        progress.epoch = (int)epoch.toInt();
        progress.seed = seed.toInt();
    } catch (const c10::Error& e) {
        throw OpenMMException("affinity-train: the checkpoint " + file + " is not an affinity-train checkpoint: " +
                              AffinityPlugin::printableText(e.what_without_backtrace()));
    } catch (const OpenMMException&) {
        throw;
    } catch (const std::exception& e) {
        throw OpenMMException("affinity-train: the checkpoint " + file +
                              " is not an affinity-train checkpoint: " + e.what());
    }
    return progress;
}

} // namespace AffinityTrain
