// SPDX-License-Identifier: MIT
#include "GradientExport.h"
#include "internal/BatchPasses.h"
#include "internal/LossCoefficients.h"
#include "internal/OnePassGradient.h"
#include "internal/TwoPassGradient.h"
#include "openmm/OpenMMException.h"
#include <cmath>
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
};

// One pose evaluated with autograd: its energy (a [1] tensor on the device, read when needed),
// dG/dθ (float64, every parameter's entries in model order, in storage of its own) and, when
// asked, dG/dx.
struct PoseDerivatives {
    torch::Tensor energy, flatParameterGradient, positionGradient;
};

// Pose `pose` of `all` ([P,N,3], on the scorer's device) through the scorer's gradient pass for
// one pose, which on a GPU replays a captured CUDA graph of the forward and backward pass: an
// eager pass of one pose costs the GPU far less than its kernels' launches cost the host.
PoseDerivatives differentiatePose(AffinityScorer& scorer, const torch::Tensor& all, int pose, bool positionGradient) {
    const torch::Tensor one = torch::ones({1}, all.options());
    WeightedGradients g =
        scorer.weightedGradients(all.narrow(0, pose, 1), one, positionGradient ? one : torch::Tensor(), 1);
    return {g.energies, g.flatParameters, positionGradient ? g.positions[0] : torch::Tensor()};
}

// The poses' energies in kJ/mol, read back once; throws for a non-finite one, as the model's
// own check would.
std::vector<double> energiesOf(AffinityScorer& scorer, const std::vector<PoseDerivatives>& poses) {
    std::vector<torch::Tensor> parts;
    for (const PoseDerivatives& d : poses)
        parts.push_back(d.energy);
    const torch::Tensor energies = torch::cat(parts);
    scorer.getModel().checkFinite(energies);
    const torch::Tensor host = energies.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
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
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    for (int n = 0; n < poses.getNumPoses(); n++)
        perPose.push_back(differentiatePose(scorer, all, n, options.positionGradients));
    result = lossAtEnergies(energiesOf(scorer, perPose), combination, loss, scorer.getTemperature());
    torch::Tensor total = torch::zeros_like(perPose[0].flatParameterGradient);
    std::vector<torch::Tensor> positionGradients;
    for (int n = 0; n < poses.getNumPoses(); n++) {
        total.add_(perPose[n].flatParameterGradient, result.lossCoefficients[n]);
        if (options.positionGradients)
            positionGradients.push_back(perPose[n].positionGradient);
    }
    if (options.positionGradients)
        result.positionGradients = stackScaled(positionGradients, result.combination.coefficients);
    return viewsOf(total, params.tensors);
}

// ---- Sets of ligands ----------------------------------------------------------------------

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
        for (int n = 0; n < poses.getNumPoses(); n++)
            perPose[l].push_back(differentiatePose(scorer, all, n, false));
        std::vector<double> energies = energiesOf(scorer, perPose[l]);
        result.scores.combinations.push_back(combination.combine(energies, scorer.getTemperature()));
        result.scores.energies.push_back(std::move(energies));
    }
    applyLigandSetLoss(ligands, loss, result);
    torch::Tensor total = torch::zeros_like(perPose[0][0].flatParameterGradient);
    for (size_t l = 0; l < ligands.size(); l++)
        for (size_t n = 0; n < perPose[l].size(); n++)
            total.add_(perPose[l][n].flatParameterGradient, result.lossCoefficients[l][n]);
    return viewsOf(total, params.tensors);
}

} // namespace

void AffinityPlugin::forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                         const std::function<void(const PoseGradient&)>& sink, bool positionGradients) {
    scorer.checkPoses(poses, "forEachPoseGradient");
    torch::AutoGradMode gradMode(true);
    Parameters params(scorer);
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    for (int n = 0; n < poses.getNumPoses(); n++) {
        PoseDerivatives d = differentiatePose(scorer, all, n, positionGradients);
        PoseGradient out;
        out.pose = n;
        out.energy = energiesOf(scorer, {d})[0];
        out.positionGradient = d.positionGradient;
        const std::vector<torch::Tensor> views = viewsOf(d.flatParameterGradient, params.tensors);
        for (size_t i = 0; i < params.names.size(); i++)
            out.parameterGradients.emplace_back(params.names[i], views[i]);
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
        total = OnePassGradient::ofLigand(scorer, poses, combination, loss, options, result);
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
        total = OnePassGradient::ofSet(ligands, combination, loss, options, result);
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
