#include "GradientExport.h"
#include "internal/BatchPasses.h"
#include "openmm/OpenMMException.h"
#include <torch/csrc/autograd/autograd.h>
#include <cmath>
#include <limits>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

GradientStrategy AffinityPlugin::gradientStrategyFromName(const std::string& name) {
    if (name == "store-all")
        return GradientStrategy::StoreAll;
    if (name == "two-pass")
        return GradientStrategy::TwoPass;
    if (name == "one-pass")
        return GradientStrategy::OnePass;
    throw OpenMMException("combinedGradient: unknown strategy '" + name + "'; expected store-all, two-pass or one-pass");
}

namespace {

// The trainable parameters of a scorer's model, in a fixed order, with their names.
struct Parameters {
    std::vector<std::string> names;
    std::vector<torch::Tensor> tensors;

    explicit Parameters(AffinityScorer& scorer) {
        for (auto& [name, tensor] : scorer.getModel().trainableParameters()) {
            names.push_back(name);
            tensors.push_back(tensor);
        }
    }
    // Gradients in float64, one per parameter; zeros where a parameter does not take part.
    std::vector<torch::Tensor> zeros() const {
        std::vector<torch::Tensor> result;
        for (const auto& t : tensors)
            result.push_back(torch::zeros(t.sizes(), t.options().dtype(torch::kFloat64)));
        return result;
    }
};

// The gradients of outputs·gradOutputs with respect to the inputs (undefined ones as zeros),
// in float64. The graph is freed unless retainGraph.
std::vector<torch::Tensor> gradients(const torch::Tensor& outputs, const std::vector<torch::Tensor>& inputs,
                                     const torch::Tensor& gradOutputs, bool retainGraph) {
    if (inputs.empty())
        return {};
    auto grads = torch::autograd::grad({outputs}, inputs, {gradOutputs}, retainGraph, false, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); i++)
        grads[i] = grads[i].defined() ? grads[i].to(torch::kFloat64) : torch::zeros_like(inputs[i], torch::kFloat64);
    return grads;
}

// One pose evaluated with autograd: its energy, dG/dθ and (when asked) dG/dx.
struct PoseDerivatives {
    double energy;
    std::vector<torch::Tensor> parameterGradients;
    torch::Tensor positionGradient;
};

// One pose of `all` ([P,N,3], on the scorer's device) evaluated with autograd.
PoseDerivatives differentiatePose(AffinityScorer& scorer, const torch::Tensor& all, int pose, const Parameters& params,
                                  bool positionGradient) {
    torch::Tensor x = all.narrow(0, pose, 1);
    std::vector<torch::Tensor> inputs = params.tensors;
    if (positionGradient) {
        x = x.clone().requires_grad_(true);
        inputs.push_back(x);
    }
    torch::Tensor energy = scorer.energies(x);
    std::vector<torch::Tensor> grads = gradients(energy, inputs, torch::ones_like(energy), false);
    PoseDerivatives result{energy.item<double>(), {}, {}};
    if (positionGradient) {
        result.positionGradient = grads.back()[0];
        grads.pop_back();
    }
    result.parameterGradients = std::move(grads);
    return result;
}

// Add the gradients (float64, one per parameter) to the parameters' .grad, as backward()
// would, unless one is not finite: then throw and change nothing. The work is done on all
// parameters at once (one concatenation, one check, one cast, one foreach addition): one
// operation per parameter cost more host time than a small batch's evaluation on a GPU.
void addToGradients(Parameters& params, const std::vector<torch::Tensor>& gradients) {
    std::vector<torch::Tensor> flat;
    for (const auto& g : gradients)
        flat.push_back(g.reshape(-1));
    torch::Tensor all = torch::cat(flat);
    if (!torch::isfinite(all).all().item<bool>())
        for (size_t i = 0; i < gradients.size(); i++)
            if (!torch::isfinite(gradients[i]).all().item<bool>())
                throw OpenMMException("combinedGradient: the gradient of parameter '" + params.names[i] +
                                      "' is not finite; no gradient was written");
    const torch::ScalarType dtype = params.tensors[0].scalar_type();
    bool uniform = true;
    for (const auto& p : params.tensors)
        uniform = uniform && p.scalar_type() == dtype;
    std::vector<torch::Tensor> cast = viewsOf(uniform ? all.to(dtype) : all, params.tensors);
    std::vector<torch::Tensor> grads, additions;
    for (size_t i = 0; i < cast.size(); i++) {
        torch::Tensor& p = params.tensors[i];
        torch::Tensor g = cast[i].to(p.dtype());
        if (p.grad().defined()) {
            grads.push_back(p.mutable_grad());
            additions.push_back(g);
        } else
            p.mutable_grad() = g.clone(); // its own storage, not a view of the others'
    }
    if (!grads.empty())
        at::_foreach_add_(grads, additions);
}

void axpy(std::vector<torch::Tensor>& y, double a, const std::vector<torch::Tensor>& x) {
    for (size_t i = 0; i < y.size(); i++)
        y[i].add_(x[i], a);
}

void scale(std::vector<torch::Tensor>& y, double a) {
    for (auto& t : y)
        t.mul_(a);
}

// The parts of a combined gradient that every strategy shares once the energies are known.
CombinedGradientResult summarise(const std::vector<double>& energies, const Combination& combination,
                                 const AffinityLoss& loss, double temperature) {
    CombinedGradientResult result;
    const double beta = betaForTemperature(temperature);
    result.energies = energies;
    result.combination = combination.combine(energies, temperature);
    result.loss = loss.value(result.combination.deltaG, energies, beta);
    result.lossCoefficients = loss.poseCoefficients(result.combination.deltaG, energies,
                                                    result.combination.coefficients, beta);
    return result;
}

torch::Tensor stackScaled(const std::vector<torch::Tensor>& perPose, const std::vector<double>& coefficients) {
    std::vector<torch::Tensor> scaled;
    for (size_t n = 0; n < perPose.size(); n++)
        scaled.push_back(perPose[n].to(torch::kCPU) * coefficients[n]);
    return torch::stack(scaled);
}

std::vector<torch::Tensor> storeAll(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                                    const AffinityLoss& loss, const Parameters& params,
                                    const CombinedGradientOptions& options, CombinedGradientResult& result) {
    std::vector<PoseDerivatives> perPose;
    std::vector<double> energies;
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    for (int n = 0; n < poses.getNumPoses(); n++) {
        perPose.push_back(differentiatePose(scorer, all, n, params, options.positionGradients));
        energies.push_back(perPose.back().energy);
    }
    result = summarise(energies, combination, loss, scorer.getTemperature());
    std::vector<torch::Tensor> total = params.zeros();
    std::vector<torch::Tensor> positionGradients;
    for (int n = 0; n < poses.getNumPoses(); n++) {
        axpy(total, result.lossCoefficients[n], perPose[n].parameterGradients);
        if (options.positionGradients)
            positionGradients.push_back(perPose[n].positionGradient);
    }
    if (options.positionGradients)
        result.positionGradients = stackScaled(positionGradients, result.combination.coefficients);
    return total;
}

std::vector<torch::Tensor> twoPass(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                                   const AffinityLoss& loss, const CombinedGradientOptions& options,
                                   CombinedGradientResult& result) {
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    // Both passes use the gradient pass's batch size, so that on a GPU their graphs share one
    // batch's memory: with the energy pass's own, larger batch the two held 2.0 GiB between
    // calls at 2,700 atoms (benchmark model, H100) where the budget was 1 GiB.
    const int batch = scorer.batchSize(options.batchSize, options.memoryBudgetMiB, true);
    std::vector<double> energies = scorer.batchedEnergies(all, batch);
    result = summarise(energies, combination, loss, scorer.getTemperature());
    const torch::TensorOptions onDevice = torch::TensorOptions().dtype(scorer.getDtype()).device(scorer.getDevice());
    const torch::Tensor g = torch::tensor(result.lossCoefficients, torch::kFloat64).to(onDevice);
    const torch::Tensor c = options.positionGradients
                                ? torch::tensor(result.combination.coefficients, torch::kFloat64).to(onDevice)
                                : torch::Tensor();
    WeightedGradients sums = scorer.weightedGradients(all, g, c, batch);
    if (options.positionGradients)
        result.positionGradients = sums.positions.to(torch::kCPU, torch::kFloat64);
    return sums.parameters;
}

std::vector<torch::Tensor> onePass(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                                   const AffinityLoss& loss, const Parameters& params,
                                   const CombinedGradientOptions& options, CombinedGradientResult& result) {
    // Online softmax over the weight exponents κ G_n: A and B are sums weighted by
    // exp(κ G_n − M) for the largest exponent M so far, rescaled whenever M grows, and Z is
    // their normaliser. Then dΔG/dθ = (a·A + b·B)/Z with (a, b) from the combination.
    const double kappa = combination.weightExponent(betaForTemperature(scorer.getTemperature()));
    double maxExponent = -std::numeric_limits<double>::infinity(), normaliser = 0.0, reference = 0.0;
    std::vector<torch::Tensor> sumA = params.zeros(), sumB = params.zeros();
    std::vector<torch::Tensor> poseTerms = loss.hasPoseTerms() ? params.zeros() : std::vector<torch::Tensor>();
    std::vector<torch::Tensor> positionGradients;
    std::vector<double> energies;
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    for (int n = 0; n < poses.getNumPoses(); n++) {
        PoseDerivatives d = differentiatePose(scorer, all, n, params, options.positionGradients);
        if (n == 0)
            reference = d.energy;
        const double exponent = kappa * d.energy;
        if (exponent > maxExponent) {
            const double rescale = std::exp(maxExponent - exponent);
            normaliser *= rescale;
            scale(sumA, rescale);
            scale(sumB, rescale);
            maxExponent = exponent;
        }
        const double weight = std::exp(exponent - maxExponent);
        normaliser += weight;
        axpy(sumA, weight, d.parameterGradients);
        axpy(sumB, weight * (d.energy - reference), d.parameterGradients);
        if (loss.hasPoseTerms())
            axpy(poseTerms, loss.derivativeByPose(n, d.energy), d.parameterGradients);
        if (options.positionGradients)
            positionGradients.push_back(d.positionGradient);
        energies.push_back(d.energy);
    }
    result = summarise(energies, combination, loss, scorer.getTemperature());
    const double beta = betaForTemperature(scorer.getTemperature());
    const auto [a, b] = combination.gradientCoefficients(result.combination.deltaG - reference, beta);
    const double dLdDeltaG = loss.derivativeByDeltaG(result.combination.deltaG, beta);
    std::vector<torch::Tensor> total = params.zeros();
    axpy(total, dLdDeltaG * a / normaliser, sumA);
    axpy(total, dLdDeltaG * b / normaliser, sumB);
    if (loss.hasPoseTerms())
        axpy(total, 1.0, poseTerms);
    if (options.positionGradients)
        result.positionGradients = stackScaled(positionGradients, result.combination.coefficients);
    return total;
}

} // namespace

void AffinityPlugin::forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                         const std::function<void(const PoseGradient&)>& sink,
                                         bool positionGradients) {
    scorer.checkPoses(poses, "forEachPoseGradient");
    torch::AutoGradMode gradMode(true);
    Parameters params(scorer);
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    for (int n = 0; n < poses.getNumPoses(); n++) {
        PoseDerivatives d = differentiatePose(scorer, all, n, params, positionGradients);
        PoseGradient out;
        out.pose = n;
        out.energy = d.energy;
        out.positionGradient = d.positionGradient;
        for (size_t i = 0; i < params.names.size(); i++)
            out.parameterGradients.emplace_back(params.names[i], d.parameterGradients[i]);
        sink(out);
    }
}

CombinedGradientResult AffinityPlugin::combinedGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                                        const Combination& combination, const AffinityLoss& loss,
                                                        const CombinedGradientOptions& options) {
    scorer.checkPoses(poses, "combinedGradient");
    loss.validate(poses.getNumPoses());
    torch::AutoGradMode gradMode(true);
    Parameters params(scorer);
    CombinedGradientResult result;
    std::vector<torch::Tensor> total;
    switch (options.strategy) {
    case GradientStrategy::StoreAll:
        total = storeAll(scorer, poses, combination, loss, params, options, result);
        break;
    case GradientStrategy::TwoPass:
        total = twoPass(scorer, poses, combination, loss, options, result);
        break;
    case GradientStrategy::OnePass:
        total = onePass(scorer, poses, combination, loss, params, options, result);
        break;
    }
    // Only now, with every pose evaluated, do the parameters' gradients change.
    if (!total.empty())
        addToGradients(params, total);
    return result;
}
