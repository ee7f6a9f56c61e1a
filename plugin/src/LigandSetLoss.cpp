// SPDX-License-Identifier: MIT
#include "LigandSetLoss.h"
#include "internal/ModelBytes.h"
#include "internal/TorchScriptLoad.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <sstream>
#include <torch/csrc/autograd/autograd.h>
#include <torch/script.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

void requireFinite(double value, const std::string& who, const std::string& what) {
    if (!std::isfinite(value)) {
        std::stringstream msg;
        msg << who << ": " << what << " is " << value << "; expected a finite number";
        throw OpenMMException(msg.str());
    }
}

std::string lossName(const LigandSetLoss& loss) {
    return "LigandSetLoss '" + loss.getName() + "'";
}

SetLossValue zeroValue(const SetLossInput& input) {
    SetLossValue result;
    result.byLigand.assign(input.predictions.size(), 0.0);
    return result;
}

// ln(1 + exp(x)) without overflow, and its derivative, the logistic function.
double softplus(double x) {
    return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
}

double logistic(double x) {
    return x >= 0.0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

} // namespace

void LigandSetLoss::setReadout(const Readout& r) {
    readout = r;
}

void LigandSetLoss::setPoseReadout(const Readout& r) {
    poseReadout = r;
}

void LigandSetLoss::setPoseWeight(double weight) {
    if (!(weight >= 0.0) || !std::isfinite(weight)) {
        std::stringstream msg;
        msg << lossName(*this) << ": the pose weight is " << weight << "; expected a finite number >= 0";
        throw OpenMMException(msg.str());
    }
    poseWeight = weight;
}

void LigandSetLoss::validate(const LigandSetValues& values) const {
    const std::string who = lossName(*this);
    const size_t count = values.deltaG.size();
    if (count == 0)
        throw OpenMMException(who + ": the set of ligands is empty; expected at least one ligand");
    auto sizeCheck = [&](size_t size, const char* what) {
        if (size != count) {
            std::stringstream msg;
            msg << who << ": " << size << " " << what << " for " << count << " ligands; expected one per ligand";
            throw OpenMMException(msg.str());
        }
    };
    sizeCheck(values.poseEnergies.size(), "lists of pose energies");
    sizeCheck(values.targets.size(), "targets");
    sizeCheck(values.sigmas.size(), "sigmas");
    sizeCheck(values.poseTargets.size(), "lists of pose targets");
    sizeCheck(values.betas.size(), "inverse temperatures");
    for (size_t l = 0; l < count; l++) {
        std::stringstream ligand;
        ligand << "ligand " << l;
        const size_t poses = values.poseEnergies[l].size();
        if (poses == 0)
            throw OpenMMException(who + ": " + ligand.str() + " has no poses; expected at least one");
        requireFinite(values.deltaG[l], who, "ΔG of " + ligand.str());
        requireFinite(values.targets[l], who, "the target of " + ligand.str());
        requireFinite(values.sigmas[l], who, "sigma of " + ligand.str());
        if (usesSigmas() && !(values.sigmas[l] > 0.0)) {
            std::stringstream msg;
            msg << who << ": sigma of " << ligand.str() << " is " << values.sigmas[l] << "; expected a number > 0";
            throw OpenMMException(msg.str());
        }
        if (!(values.betas[l] > 0.0) || !std::isfinite(values.betas[l]))
            throw OpenMMException(who + ": the inverse temperature of " + ligand.str() + " is not a positive number");
        for (size_t n = 0; n < poses; n++)
            requireFinite(values.poseEnergies[l][n], who,
                          "the energy of pose " + std::to_string(n) + " of " + ligand.str());
        const std::vector<double>& targets = values.poseTargets[l];
        if (targets.empty())
            continue;
        if (targets.size() != poses) {
            std::stringstream msg;
            msg << who << ": " << ligand.str() << " has " << targets.size() << " pose targets for " << poses
                << " poses; expected one per pose";
            throw OpenMMException(msg.str());
        }
        for (size_t n = 0; n < poses; n++)
            requireFinite(targets[n], who, "the target of pose " + std::to_string(n) + " of " + ligand.str());
    }
}

SetLossValue LigandSetLoss::evaluateFormula(const LigandSetValues& values) const {
    validate(values);
    const std::string who = lossName(*this);
    const size_t count = values.deltaG.size();
    SetLossInput input;
    input.targets = values.targets;
    input.sigmas = values.sigmas;
    input.poseTargets = values.poseTargets;
    for (size_t l = 0; l < count; l++) {
        input.predictions.push_back(readout.apply(values.deltaG[l], values.betas[l]));
        std::vector<double> q;
        for (double g : values.poseEnergies[l])
            q.push_back(poseReadout.apply(g, values.betas[l]));
        input.posePredictions.push_back(std::move(q));
    }
    SetLossValue result = formula(input);
    requireFinite(result.value, who, "the loss");
    if (result.byLigand.size() != count) {
        std::stringstream msg;
        msg << who << ": " << result.byLigand.size() << " derivatives by the ligands' predictions for " << count
            << " ligands; expected one per ligand";
        throw OpenMMException(msg.str());
    }
    if (!result.byPose.empty() && result.byPose.size() != count) {
        std::stringstream msg;
        msg << who << ": derivatives by the pose predictions of " << result.byPose.size() << " ligands for " << count
            << " ligands; expected none or one list per ligand";
        throw OpenMMException(msg.str());
    }
    for (size_t l = 0; l < count; l++) {
        const std::string ligand = "ligand " + std::to_string(l);
        requireFinite(result.byLigand[l], who, "the derivative by the prediction of " + ligand);
        // The readouts are affine in ΔG: the chain rule is one product.
        result.byLigand[l] = result.byLigand[l] * readout.derivative(values.betas[l]);
        if (result.byPose.empty())
            continue;
        std::vector<double>& byPose = result.byPose[l];
        if (byPose.size() != values.poseEnergies[l].size()) {
            std::stringstream msg;
            msg << who << ": " << byPose.size() << " derivatives by the pose predictions of " << ligand << " for "
                << values.poseEnergies[l].size() << " poses; expected one per pose";
            throw OpenMMException(msg.str());
        }
        for (size_t n = 0; n < byPose.size(); n++) {
            requireFinite(byPose[n], who,
                          "the derivative by the prediction of pose " + std::to_string(n) + " of " + ligand);
            byPose[n] = byPose[n] * poseReadout.derivative(values.betas[l]);
        }
    }
    return result;
}

double LigandSetLoss::poseTermDerivative(double energy, double poseTarget, double beta, int numLigands) const {
    const double weight = poseWeight / numLigands;
    return 2.0 * weight * (poseReadout.apply(energy, beta) - poseTarget) * poseReadout.derivative(beta);
}

SetLossValue LigandSetLoss::evaluate(const LigandSetValues& values) const {
    SetLossValue result = evaluateFormula(values);
    addPoseTerms(values, result);
    return result;
}

void LigandSetLoss::addPoseTerms(const LigandSetValues& values, SetLossValue& result) const {
    const size_t count = values.deltaG.size();
    if (result.byPose.empty())
        for (size_t l = 0; l < count; l++)
            result.byPose.emplace_back(values.poseEnergies[l].size(), 0.0);
    // The per-pose terms, written as AffinityLoss writes them (so that one ligand gives the same
    // bits): λ (q − y)² added to the value, 2λ (q − y) r_pose' to the derivatives.
    const double weight = poseWeight / (double)count;
    for (size_t l = 0; l < count; l++) {
        const std::vector<double>& targets = values.poseTargets[l];
        for (size_t n = 0; n < targets.size(); n++) {
            const double d = poseReadout.apply(values.poseEnergies[l][n], values.betas[l]) - targets[n];
            result.value += weight * d * d;
            result.byPose[l][n] =
                result.byPose[l][n] + poseTermDerivative(values.poseEnergies[l][n], targets[n], values.betas[l], count);
        }
    }
    requireFinite(result.value, lossName(*this), "the loss with its per-pose terms");
}

SetLossValue MeanSquaredError::formula(const SetLossInput& input) const {
    SetLossValue result = zeroValue(input);
    const double count = (double)input.predictions.size();
    double sum = 0.0;
    for (size_t l = 0; l < input.predictions.size(); l++) {
        const double residual = input.predictions[l] - input.targets[l];
        sum += residual * residual;
        result.byLigand[l] = (2.0 / count) * residual;
    }
    result.value = sum / count;
    return result;
}

SetLossValue CentredMeanSquaredError::formula(const SetLossInput& input) const {
    SetLossValue result = zeroValue(input);
    const size_t count = input.predictions.size();
    double mean = 0.0;
    for (size_t l = 0; l < count; l++)
        mean += input.predictions[l] - input.targets[l];
    mean /= (double)count;
    // ∂ē/∂p_l = 1/L, and Σ_l (e_l − ē) = 0: the mean's share of the derivative vanishes.
    double sum = 0.0;
    for (size_t l = 0; l < count; l++) {
        const double centred = input.predictions[l] - input.targets[l] - mean;
        sum += centred * centred;
        result.byLigand[l] = (2.0 / (double)count) * centred;
    }
    result.value = sum / (double)count;
    return result;
}

PairwiseRankingLoss::PairwiseRankingLoss(double scale, double tieTolerance) : scale(scale), tieTolerance(tieTolerance) {
    if (!(scale > 0.0) || !std::isfinite(scale))
        throw OpenMMException("PairwiseRankingLoss: the scale must be a finite number > 0");
    if (!(tieTolerance >= 0.0) || !std::isfinite(tieTolerance))
        throw OpenMMException("PairwiseRankingLoss: the tie tolerance must be a finite number >= 0");
}

SetLossValue PairwiseRankingLoss::formula(const SetLossInput& input) const {
    SetLossValue result = zeroValue(input);
    const size_t count = input.predictions.size();
    int pairs = 0;
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (std::abs(input.targets[i] - input.targets[j]) > tieTolerance)
                pairs++;
    if (pairs == 0)
        return result;
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++) {
            const double difference = input.targets[i] - input.targets[j];
            if (std::abs(difference) <= tieTolerance)
                continue;
            const double sign = difference > 0.0 ? 1.0 : -1.0;
            const double x = -sign * (input.predictions[i] - input.predictions[j]) / scale;
            result.value += softplus(x);
            const double dx = logistic(x) * (-sign / scale) / pairs;
            result.byLigand[i] += dx;
            result.byLigand[j] -= dx;
        }
    result.value /= pairs;
    return result;
}

SetLossValue GaussianNllLoss::formula(const SetLossInput& input) const {
    SetLossValue result = zeroValue(input);
    const double count = (double)input.predictions.size();
    const double halfLogTwoPi = 0.5 * std::log(2.0 * M_PI);
    for (size_t l = 0; l < input.predictions.size(); l++) {
        const double residual = input.predictions[l] - input.targets[l];
        const double variance = input.sigmas[l] * input.sigmas[l];
        result.value += residual * residual / (2.0 * variance) + std::log(input.sigmas[l]) + halfLogTwoPi;
        result.byLigand[l] = residual / (variance * count);
    }
    result.value /= count;
    return result;
}

CallableSetLoss::CallableSetLoss(Formula formula, std::string name, bool usesSigmas)
    : function(std::move(formula)), name(std::move(name)), sigmas(usesSigmas) {
    if (!function)
        throw OpenMMException("CallableSetLoss: the formula is empty; expected a callable");
}

SetLossValue CallableSetLoss::formula(const SetLossInput& input) const {
    return function(input);
}

// ---- TorchScriptSetLoss -------------------------------------------------------------------

struct TorchScriptSetLoss::Impl {
    torch::jit::Module module;
    std::string origin;
    int arguments = 0;
};

namespace {

bool isTensor(const c10::TypePtr& type) {
    return type->kind() == c10::TypeKind::TensorType;
}

bool isTensorList(const c10::TypePtr& type) {
    if (type->kind() != c10::TypeKind::ListType)
        return false;
    return isTensor(type->castRaw<c10::ListType>()->getElementType());
}

const char* const ExpectedSignature =
    "forward(predictions: Tensor, pose_predictions: List[Tensor], targets: Tensor[, sigmas: Tensor[, "
    "pose_targets: List[Tensor]]]) -> Tensor";

torch::Tensor doubles(const std::vector<double>& values) {
    return torch::tensor(values, torch::kFloat64).reshape({(int64_t)values.size()});
}

} // namespace

TorchScriptSetLoss::TorchScriptSetLoss(const torch::jit::Module& module, const std::string& origin)
    : impl(std::make_shared<Impl>()) {
    impl->module = module;
    impl->origin = origin;
    const std::string who = "TorchScriptSetLoss: " + origin;
    auto method = module.find_method("forward");
    if (!method)
        throw OpenMMException(who + " has no forward method; expected " + ExpectedSignature);
    const c10::FunctionSchema& schema = method->function().getSchema();
    const std::vector<c10::Argument>& args = schema.arguments();
    const int count = (int)args.size() - 1; // without self
    std::stringstream found;
    found << schema;
    if (count < 3 || count > 5)
        throw OpenMMException(who + "'s forward takes " + std::to_string(count) + " arguments (" + found.str() +
                              "); expected " + ExpectedSignature);
    for (int i = 0; i < count; i++) {
        const c10::TypePtr& type = args[i + 1].type();
        const bool list = i == 1 || i == 4;
        if (list ? !isTensorList(type) : !isTensor(type))
            throw OpenMMException(who + "'s forward argument " + std::to_string(i + 1) + " '" + args[i + 1].name() +
                                  "' is " + type->str() + " (" + found.str() + "); expected " +
                                  (list ? "List[Tensor]" : "Tensor") + ", as in " + ExpectedSignature);
    }
    if (schema.returns().size() != 1 || !isTensor(schema.returns()[0].type()))
        throw OpenMMException(who + "'s forward returns " + found.str() + "; expected a Tensor, as in " +
                              ExpectedSignature);
    impl->arguments = count;
    impl->module.eval();
}

TorchScriptSetLoss TorchScriptSetLoss::fromFile(const std::string& file) {
    std::string bytes;
    try {
        bytes = readModelFile(file);
    } catch (const OpenMMException&) {
        throw OpenMMException("TorchScriptSetLoss: cannot open '" + file + "'; expected a TorchScript file");
    }
    return fromBytes(bytes, "'" + file + "'");
}

TorchScriptSetLoss TorchScriptSetLoss::fromBytes(const std::string& bytes, const std::string& origin) {
    return TorchScriptSetLoss(loadTorchScript(bytes, "TorchScriptSetLoss", origin), origin);
}

int TorchScriptSetLoss::getNumArguments() const {
    return impl->arguments;
}

SetLossValue TorchScriptSetLoss::formula(const SetLossInput& input) const {
    const std::string who = "TorchScriptSetLoss: " + impl->origin;
    torch::AutoGradMode gradMode(true);
    torch::Tensor predictions = doubles(input.predictions).requires_grad_(true);
    std::vector<torch::Tensor> poses;
    c10::List<torch::Tensor> poseList, targetList;
    for (const auto& q : input.posePredictions) {
        poses.push_back(doubles(q).requires_grad_(true));
        poseList.push_back(poses.back());
    }
    for (const auto& y : input.poseTargets)
        targetList.push_back(doubles(y));
    std::vector<c10::IValue> arguments{predictions, poseList, doubles(input.targets)};
    if (impl->arguments >= 4)
        arguments.emplace_back(doubles(input.sigmas));
    if (impl->arguments >= 5)
        arguments.emplace_back(targetList);
    c10::IValue output;
    try {
        output = impl->module.forward(arguments);
    } catch (const c10::Error& e) {
        throw OpenMMException(who + " failed: " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw OpenMMException(who + " failed: " + e.what());
    }
    if (!output.isTensor())
        throw OpenMMException(who + " returned a " + output.tagKind() + "; expected a scalar Tensor");
    const torch::Tensor loss = output.toTensor();
    if (loss.numel() != 1) {
        std::stringstream msg;
        msg << who << " returned a Tensor of shape " << loss.sizes() << "; expected a scalar";
        throw OpenMMException(msg.str());
    }
    if (!loss.is_floating_point())
        throw OpenMMException(who + " returned a Tensor of " + std::string(c10::toString(loss.scalar_type())) +
                              "; expected a floating-point scalar");
    SetLossValue result;
    result.value = loss.item<double>();
    requireFinite(result.value, who, "the loss");
    std::vector<torch::Tensor> inputs{predictions};
    inputs.insert(inputs.end(), poses.begin(), poses.end());
    std::vector<torch::Tensor> grads(inputs.size());
    if (loss.requires_grad())
        grads = torch::autograd::grad({loss.reshape({})}, inputs, {}, false, false, /*allow_unused=*/true);
    auto values = [](const torch::Tensor& grad, size_t size) {
        if (!grad.defined())
            return std::vector<double>(size, 0.0);
        torch::Tensor g = grad.to(torch::kCPU, torch::kFloat64).contiguous();
        return std::vector<double>(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
    };
    result.byLigand = values(grads[0], input.predictions.size());
    for (size_t l = 0; l < poses.size(); l++)
        result.byPose.push_back(values(grads[l + 1], input.posePredictions[l].size()));
    return result;
}

std::unique_ptr<LigandSetLoss> AffinityPlugin::ligandSetLossFromName(const std::string& name) {
    if (name == "mse")
        return std::make_unique<MeanSquaredError>();
    if (name == "centred-mse" || name == "centered-mse")
        return std::make_unique<CentredMeanSquaredError>();
    if (name == "ranking")
        return std::make_unique<PairwiseRankingLoss>();
    if (name == "gaussian-nll")
        return std::make_unique<GaussianNllLoss>();
    throw OpenMMException("LigandSetLoss: unknown loss '" + name +
                          "'; expected mse, centred-mse, ranking or gaussian-nll");
}
