// The one source of the Python module that includes LibTorch's headers.
#include "PoseScorer.h"
#include "AffinityScorer.h"
#include "GradientExport.h"
#include "PoseArrays.h"
#include "openmm/OpenMMException.h"
#include <sstream>
#include <torch/cuda.h>
#include <torch/script.h>

using namespace AffinityPlugin;
using namespace AffinityPython;
using OpenMM::OpenMMException;

namespace {

torch::Device deviceFromName(const std::string& name) {
    torch::Device device(torch::kCPU);
    try {
        device = torch::Device(name);
    } catch (const c10::Error&) {
        throw OpenMMException("PoseScorer: device '" + name + "' is not a device name; expected cpu, cuda or cuda:N");
    }
    if (device.is_cuda()) {
        const int available = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
        if (device.has_index() ? device.index() >= available : available == 0) {
            std::stringstream msg;
            msg << "PoseScorer: device '" << name << "' is not present; LibTorch sees " << available
                << " CUDA device(s)";
            throw OpenMMException(msg.str());
        }
    } else if (!device.is_cpu()) {
        throw OpenMMException("PoseScorer: device '" + name + "' is not supported; expected cpu, cuda or cuda:N");
    }
    return device;
}

torch::ScalarType dtypeFromName(const std::string& name, const AffinityModel& model) {
    if (name.empty())
        return model.parameterDtype();
    if (name == "float64")
        return torch::kFloat64;
    if (name == "float32")
        return torch::kFloat32;
    throw OpenMMException("PoseScorer: dtype '" + name + "' is not supported; expected float32 or float64");
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

struct PoseScorer::Impl {
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

PoseScorer::PoseScorer(const ModelBytes& modelBytes, const std::vector<int>& atomicNumbers,
                       const std::vector<bool>& ligandMask, const std::string& device, const std::string& dtype,
                       double temperature) {
    if (atomicNumbers.size() != ligandMask.size()) {
        std::stringstream msg;
        msg << "PoseScorer: " << atomicNumbers.size() << " atomic numbers and " << ligandMask.size()
            << " ligand flags; expected one of each per atom";
        throw OpenMMException(msg.str());
    }
    AffinityModel model = AffinityModel::fromBytes(modelBytes.bytes, "the model");
    const torch::Device where = deviceFromName(device);
    const torch::ScalarType type = dtypeFromName(dtype, model);
    impl.reset(new Impl{AffinityScorer(model, atomicNumbers, ligandMask, where, type, temperature), atomicNumbers,
                        ligandMask});
}

PoseScorer::~PoseScorer() = default;

std::string PoseScorer::getDevice() const {
    return impl->scorer.getDevice().str();
}

std::string PoseScorer::getDtype() const {
    return impl->scorer.getDtype() == torch::kFloat64 ? "float64" : "float32";
}

int PoseScorer::getNumAtoms() const {
    return impl->scorer.getNumAtoms();
}

double PoseScorer::getTemperature() const {
    return impl->scorer.getTemperature();
}

void PoseScorer::setTemperature(double kelvin) {
    impl->scorer.setTemperature(kelvin);
}

std::vector<std::string> PoseScorer::getParameterNames() const {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : impl->scorer.getModel().trainableParameters())
        names.push_back(name);
    return names;
}

std::vector<std::string> PoseScorer::getStateNames() const {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : impl->state())
        names.push_back(name);
    return names;
}

void PoseScorer::setTensorValues(const std::string& name, const double* values, size_t count) {
    for (auto& [stateName, tensor] : impl->state()) {
        if (stateName != name)
            continue;
        if (static_cast<int64_t>(count) != tensor.numel()) {
            std::stringstream msg;
            msg << "PoseScorer: '" << name << "' was given " << count << " values; expected " << tensor.numel()
                << ", the size of the model's tensor " << tensor.sizes();
            throw OpenMMException(msg.str());
        }
        torch::NoGradGuard noGrad;
        const torch::Tensor source =
            torch::from_blob(const_cast<double*>(values), tensor.sizes(), torch::TensorOptions(torch::kFloat64));
        tensor.copy_(source);
        return;
    }
    throw OpenMMException("PoseScorer: the model has no floating-point parameter or buffer named '" + name + "'");
}

std::vector<double> PoseScorer::poseEnergies(const double* positions, size_t count, int batchSize, double budgetMiB) {
    return impl->scorer.poseEnergies(impl->poses(positions, count, "poseEnergies"), batchSize, budgetMiB);
}

CombinedGradientArrays PoseScorer::combinedGradient(const double* positions, size_t count,
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

void PoseScorer::forEachPoseGradient(const double* positions, size_t count,
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
