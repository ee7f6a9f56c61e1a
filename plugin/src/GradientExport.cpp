// SPDX-License-Identifier: MIT
#include "GradientExport.h"
#include "internal/BatchPasses.h"
#include "internal/LossCoefficients.h"
#include "internal/TwoPassGradient.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <limits>
#include <sstream>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

GradientStrategy AffinityPlugin::gradientStrategyFromName(const std::string& name) {
    if (name == "store-all")
        return GradientStrategy::StoreAll;
    if (name == "two-pass")
        return GradientStrategy::TwoPass;
    if (name == "one-pass")
        return GradientStrategy::OnePass;
    throw OpenMMException("combinedGradient: unknown strategy '" + name +
                          "'; expected store-all, two-pass or one-pass");
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
    result = lossAtEnergies(energies, combination, loss, scorer.getTemperature());
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
    result = lossAtEnergies(energies, combination, loss, scorer.getTemperature());
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

// ---- Sets of ligands ----------------------------------------------------------------------

std::string ligandName(size_t l) {
    return "ligand " + std::to_string(l);
}

// Throw unless the set is not empty, every ligand has a scorer and valid poses, and the scorers
// share one model's parameters on one device.
void checkLigands(const std::vector<LigandTerm>& ligands, const std::string& who) {
    if (ligands.empty())
        throw OpenMMException(who + ": the set of ligands is empty; expected at least one ligand");
    std::vector<torch::Tensor> first;
    for (size_t l = 0; l < ligands.size(); l++) {
        const LigandTerm& ligand = ligands[l];
        if (ligand.scorer == nullptr || ligand.poses == nullptr)
            throw OpenMMException(who + ": " + ligandName(l) + " has no " + (ligand.scorer ? "poses" : "scorer"));
        ligand.scorer->checkPoses(*ligand.poses, who + ": " + ligandName(l));
        std::vector<torch::Tensor> params;
        for (auto& [name, tensor] : ligand.scorer->getModel().trainableParameters())
            params.push_back(tensor);
        if (l == 0) {
            first = params;
            continue;
        }
        bool same = params.size() == first.size() && ligand.scorer->getDevice() == ligands[0].scorer->getDevice();
        for (size_t i = 0; same && i < params.size(); i++)
            same = params[i].is_same(first[i]);
        if (!same)
            throw OpenMMException(who + ": the scorer of " + ligandName(l) +
                                  " does not share the model of ligand 0; expected every scorer to be made from one "
                                  "AffinityModel (its copies share the parameters), on one device");
    }
}

// Throw unless the targets suit the loss, before any pose is evaluated.
void checkTargets(const std::vector<LigandTerm>& ligands, const LigandSetLoss& loss) {
    LigandSetScores placeholders;
    for (const LigandTerm& ligand : ligands) {
        placeholders.energies.emplace_back(ligand.poses->getNumPoses(), 0.0);
        placeholders.combinations.emplace_back();
    }
    loss.validate(ligandSetValues(ligands, placeholders));
}

std::vector<torch::Tensor> storeAllSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                       const LigandSetLoss& loss, const Parameters& params, SetGradientResult& result) {
    std::vector<std::vector<PoseDerivatives>> perPose(ligands.size());
    for (size_t l = 0; l < ligands.size(); l++) {
        AffinityScorer& scorer = *ligands[l].scorer;
        const PoseEnsemble& poses = *ligands[l].poses;
        const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
        std::vector<double> energies;
        for (int n = 0; n < poses.getNumPoses(); n++) {
            perPose[l].push_back(differentiatePose(scorer, all, n, params, false));
            energies.push_back(perPose[l].back().energy);
        }
        result.scores.combinations.push_back(combination.combine(energies, scorer.getTemperature()));
        result.scores.energies.push_back(std::move(energies));
    }
    applyLigandSetLoss(ligands, loss, result);
    std::vector<torch::Tensor> total = params.zeros();
    for (size_t l = 0; l < ligands.size(); l++)
        for (size_t n = 0; n < perPose[l].size(); n++)
            axpy(total, result.lossCoefficients[l][n], perPose[l][n].parameterGradients);
    return total;
}

// One ligand's running sums of the one-pass strategy (see onePass()).
struct OnlineSums {
    double maxExponent = -std::numeric_limits<double>::infinity(), normaliser = 0.0, reference = 0.0;
    std::vector<torch::Tensor> sumA, sumB;
};

std::vector<torch::Tensor> onePassSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                      const LigandSetLoss& loss, const Parameters& params, SetGradientResult& result) {
    const int count = (int)ligands.size();
    std::vector<OnlineSums> sums(ligands.size());
    bool anyPoseTerms = false;
    for (const LigandTerm& ligand : ligands)
        anyPoseTerms = anyPoseTerms || !ligand.poseTargets.empty();
    // The per-pose terms are separable: their derivatives are known pose by pose.
    std::vector<torch::Tensor> poseTerms = anyPoseTerms ? params.zeros() : std::vector<torch::Tensor>();
    for (size_t l = 0; l < ligands.size(); l++) {
        AffinityScorer& scorer = *ligands[l].scorer;
        const PoseEnsemble& poses = *ligands[l].poses;
        const double beta = betaForTemperature(scorer.getTemperature());
        const double kappa = combination.weightExponent(beta);
        OnlineSums& s = sums[l];
        s.sumA = params.zeros();
        s.sumB = params.zeros();
        std::vector<double> energies;
        const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
        for (int n = 0; n < poses.getNumPoses(); n++) {
            PoseDerivatives d = differentiatePose(scorer, all, n, params, false);
            if (n == 0)
                s.reference = d.energy;
            const double exponent = kappa * d.energy;
            if (exponent > s.maxExponent) {
                const double rescale = std::exp(s.maxExponent - exponent);
                s.normaliser *= rescale;
                scale(s.sumA, rescale);
                scale(s.sumB, rescale);
                s.maxExponent = exponent;
            }
            const double weight = std::exp(exponent - s.maxExponent);
            s.normaliser += weight;
            axpy(s.sumA, weight, d.parameterGradients);
            axpy(s.sumB, weight * (d.energy - s.reference), d.parameterGradients);
            if (!ligands[l].poseTargets.empty())
                axpy(poseTerms, loss.poseTermDerivative(d.energy, ligands[l].poseTargets[n], beta, count),
                     d.parameterGradients);
            energies.push_back(d.energy);
        }
        result.scores.combinations.push_back(combination.combine(energies, scorer.getTemperature()));
        result.scores.energies.push_back(std::move(energies));
    }
    const LigandSetValues values = ligandSetValues(ligands, result.scores);
    SetLossValue value = loss.evaluateFormula(values);
    for (size_t l = 0; l < value.byPose.size(); l++)
        for (double d : value.byPose[l])
            if (d != 0.0)
                throw OpenMMException("combinedGradient: the loss '" + loss.getName() + "' depends on the per-pose " +
                                      "energies of " + ligandName(l) + " beyond its per-pose terms, which the " +
                                      "one-pass strategy cannot apply (it keeps no per-pose gradients); use " +
                                      "two-pass or store-all; no gradient was written");
    loss.addPoseTerms(values, value);
    result.loss = value.value;
    result.lossByDeltaG = std::move(value.byLigand);
    result.lossByPoseEnergy = std::move(value.byPose);
    result.lossCoefficients = ligandSetLossCoefficients(result.scores, result.lossByDeltaG, result.lossByPoseEnergy);
    std::vector<torch::Tensor> total = params.zeros();
    for (size_t l = 0; l < ligands.size(); l++) {
        const OnlineSums& s = sums[l];
        const double beta = betaForTemperature(ligands[l].scorer->getTemperature());
        const auto [a, b] = combination.gradientCoefficients(result.scores.combinations[l].deltaG - s.reference, beta);
        const double dLdDeltaG = result.lossByDeltaG[l];
        axpy(total, dLdDeltaG * a / s.normaliser, s.sumA);
        axpy(total, dLdDeltaG * b / s.normaliser, s.sumB);
    }
    if (anyPoseTerms)
        axpy(total, 1.0, poseTerms);
    return total;
}

} // namespace

void AffinityPlugin::forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                         const std::function<void(const PoseGradient&)>& sink, bool positionGradients) {
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
        total = TwoPassGradient::ofLigand(scorer, poses, combination, loss, options, result);
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

std::vector<double> LigandSetScores::deltaG() const {
    std::vector<double> result;
    for (const CombinationResult& c : combinations)
        result.push_back(c.deltaG);
    return result;
}

LigandSetScores AffinityPlugin::scoreLigandSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                               const CombinedGradientOptions& options) {
    checkLigands(ligands, "scoreLigandSet");
    return TwoPassGradient::scoresOfSet(ligands, combination, options);
}

SetGradientResult AffinityPlugin::evaluateLigandSet(const std::vector<LigandTerm>& ligands,
                                                    const Combination& combination, const LigandSetLoss& loss,
                                                    const CombinedGradientOptions& options) {
    checkLigands(ligands, "evaluateLigandSet");
    checkTargets(ligands, loss);
    SetGradientResult result;
    result.scores = TwoPassGradient::scoresOfSet(ligands, combination, options);
    applyLigandSetLoss(ligands, loss, result);
    return result;
}

SetGradientResult AffinityPlugin::combinedGradient(const std::vector<LigandTerm>& ligands,
                                                   const Combination& combination, const LigandSetLoss& loss,
                                                   const CombinedGradientOptions& options) {
    checkLigands(ligands, "combinedGradient");
    checkTargets(ligands, loss);
    if (options.positionGradients)
        throw OpenMMException("combinedGradient: position gradients are not supported for a set of ligands; "
                              "expected positionGradients = false");
    torch::AutoGradMode gradMode(true);
    Parameters params(*ligands[0].scorer);
    SetGradientResult result;
    std::vector<torch::Tensor> total;
    switch (options.strategy) {
    case GradientStrategy::StoreAll:
        total = storeAllSet(ligands, combination, loss, params, result);
        break;
    case GradientStrategy::TwoPass:
        total = TwoPassGradient::ofSet(ligands, combination, loss, options, result);
        break;
    case GradientStrategy::OnePass:
        total = onePassSet(ligands, combination, loss, params, result);
        break;
    }
    // Only now, with every pose evaluated and the loss known, do the parameters' gradients change.
    if (!total.empty())
        addToGradients(params, total);
    return result;
}

std::vector<std::vector<double>> AffinityPlugin::addLigandSetGradient(
    const std::vector<LigandTerm>& ligands, const LigandSetScores& scores, const std::vector<double>& byDeltaG,
    const std::vector<std::vector<double>>& byPoseEnergy, const CombinedGradientOptions& options) {
    const std::string who = "addLigandSetGradient";
    checkLigands(ligands, who);
    const size_t count = ligands.size();
    if (scores.combinations.size() != count || scores.energies.size() != count) {
        std::stringstream msg;
        msg << who << ": scores of " << scores.combinations.size() << " ligands for a set of " << count
            << "; expected the scores of this set";
        throw OpenMMException(msg.str());
    }
    if (byDeltaG.size() != count || (!byPoseEnergy.empty() && byPoseEnergy.size() != count)) {
        std::stringstream msg;
        msg << who << ": " << byDeltaG.size() << " derivatives by ΔG and " << byPoseEnergy.size()
            << " lists of derivatives by the pose energies for " << count
            << " ligands; expected one per ligand (and none or one list per ligand)";
        throw OpenMMException(msg.str());
    }
    for (size_t l = 0; l < count; l++) {
        const size_t poses = (size_t)ligands[l].poses->getNumPoses();
        if (scores.combinations[l].coefficients.size() != poses) {
            std::stringstream msg;
            msg << who << ": the scores of " << ligandName(l) << " are of "
                << scores.combinations[l].coefficients.size() << " poses; the ligand has " << poses;
            throw OpenMMException(msg.str());
        }
        if (!std::isfinite(byDeltaG[l]))
            throw OpenMMException(who + ": the derivative by ΔG of " + ligandName(l) + " is not finite");
        if (byPoseEnergy.empty())
            continue;
        if (byPoseEnergy[l].size() != poses) {
            std::stringstream msg;
            msg << who << ": " << byPoseEnergy[l].size() << " derivatives by the pose energies of " << ligandName(l)
                << " for " << poses << " poses; expected one per pose";
            throw OpenMMException(msg.str());
        }
        for (size_t n = 0; n < poses; n++)
            if (!std::isfinite(byPoseEnergy[l][n]))
                throw OpenMMException(who + ": the derivative by the energy of pose " + std::to_string(n) + " of " +
                                      ligandName(l) + " is not finite");
    }
    torch::AutoGradMode gradMode(true);
    Parameters params(*ligands[0].scorer);
    const std::vector<std::vector<double>> coefficients = ligandSetLossCoefficients(scores, byDeltaG, byPoseEnergy);
    std::vector<torch::Tensor> total = TwoPassGradient::gradientOfSet(ligands, coefficients, options);
    if (!total.empty())
        addToGradients(params, total);
    return coefficients;
}
