// SPDX-License-Identifier: MIT
#include "GradientExport.h"
#include "internal/FlatParameters.h"
#include "internal/HostEnergies.h"
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

// Energies on the device in kJ/mol, read back once; throws for a non-finite one, as the
// model's own check would.
std::vector<double> energiesOf(AffinityScorer& scorer, const std::vector<torch::Tensor>& parts) {
    return finiteEnergiesOnHost(scorer.getModel(), torch::cat(parts));
}

// Every pose's own derivatives, kept on the device in pose order, a batch per entry: dG_n/dθ
// (float64 rows, every parameter's entries in model order), G_n and, when asked, dG_n/dx_n.
struct StoredPoses {
    std::vector<torch::Tensor> parameters, energies, positions;
};

// Each pose of a ligand through the scorer's pass of per-pose gradients, which on a GPU runs a
// batch of poses side by side from one captured CUDA graph: one pose alone is bound by the
// latency of its small kernels.
StoredPoses storePoses(AffinityScorer& scorer, const PoseEnsemble& poses, bool positionGradients, int batch) {
    StoredPoses stored;
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    scorer.poseGradients(all, positionGradients, batch, [&](const PoseGradients& g) {
        // Copies: the pass overwrites its outputs with the next batch.
        stored.parameters.push_back(g.flatParameters.clone());
        stored.energies.push_back(g.energies.clone());
        if (positionGradients)
            stored.positions.push_back(g.positions.clone());
    });
    return stored;
}

// total += Σ_n coefficients[n] dG_n/dθ over the stored poses.
void addWeighted(torch::Tensor& total, const StoredPoses& stored, const std::vector<double>& coefficients) {
    int64_t offset = 0;
    for (const torch::Tensor& rows : stored.parameters) {
        const int64_t count = rows.size(0);
        const std::vector<double> c(coefficients.begin() + offset, coefficients.begin() + offset + count);
        total.addmv_(rows.t(), torch::tensor(c, torch::kFloat64).to(rows.device()));
        offset += count;
    }
}

// Add the gradients (float64, every parameter's entries flattened one after another in model
// order) to the parameters' .grad, as backward() would, unless one is not finite: then throw
// and change nothing. The work is done on all parameters at once (one check, one cast, one
// foreach addition): one operation per parameter cost more host time than a small batch's
// evaluation on a GPU, and so did flattening per-parameter tensors again.
void addToGradients(Parameters& params, const torch::Tensor& all) {
    if (!all.defined() || all.numel() == 0) // a model without trainable parameters
        return;
    if (!torch::isfinite(all).all().item<bool>()) {
        const std::vector<torch::Tensor> gradients = viewsOf(all, params.tensors);
        for (size_t i = 0; i < gradients.size(); i++)
            if (!torch::isfinite(gradients[i]).all().item<bool>())
                throw OpenMMException("combinedGradient: the gradient of parameter '" + params.names[i] +
                                      "' is not finite; no gradient was written");
    }
    const torch::ScalarType dtype = params.tensors[0].scalar_type();
    bool uniform = true;
    for (const auto& p : params.tensors)
        uniform = uniform && p.scalar_type() == dtype;
    std::vector<torch::Tensor> cast = viewsOf(uniform ? all.to(dtype) : all, params.tensors);
    std::vector<torch::Tensor> grads, additions;
    for (size_t i = 0; i < cast.size(); i++) {
        torch::Tensor& p = params.tensors[i];
        // Cast once above where every parameter has one dtype: a call to `to` per parameter,
        // even one that casts nothing, costs the host a dispatch (59 of them for the benchmark
        // SchNet).
        torch::Tensor g = uniform ? cast[i] : cast[i].to(p.dtype());
        if (p.grad().defined()) {
            grads.push_back(p.mutable_grad());
            additions.push_back(g);
        } else
            p.mutable_grad() = g.clone(); // its own storage, not a view of the others'
    }
    if (!grads.empty())
        at::_foreach_add_(grads, additions);
}

torch::Tensor storeAll(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                       const AffinityLoss& loss, const Parameters& params, const CombinedGradientOptions& options,
                       CombinedGradientResult& result) {
    const StoredPoses stored = storePoses(scorer, poses, options.positionGradients,
                                          scorer.posesSideBySide(options.batchSize, options.memoryBudgetMiB));
    result = lossAtEnergies(energiesOf(scorer, stored.energies), combination, loss, scorer.getTemperature());
    torch::Tensor total = flatZeros(params.tensors, stored.parameters[0].options());
    addWeighted(total, stored, result.lossCoefficients);
    if (options.positionGradients)
        result.positionGradients =
            combinedPositionGradients(torch::cat(stored.positions), result.combination.coefficients);
    return total;
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
        const std::vector<torch::Tensor> params = parameterTensors(ligand.scorer->getModel());
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

torch::Tensor storeAllSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                          const LigandSetLoss& loss, const Parameters& params, const CombinedGradientOptions& options,
                          SetGradientResult& result) {
    std::vector<StoredPoses> stored;
    for (const LigandTerm& ligand : ligands) {
        AffinityScorer& scorer = *ligand.scorer;
        stored.push_back(storePoses(scorer, *ligand.poses, false,
                                    scorer.posesSideBySide(options.batchSize, options.memoryBudgetMiB)));
        std::vector<double> energies = energiesOf(scorer, stored.back().energies);
        result.scores.combinations.push_back(combination.combine(energies, scorer.getTemperature()));
        result.scores.energies.push_back(std::move(energies));
    }
    applyLigandSetLoss(ligands, loss, result);
    torch::Tensor total = flatZeros(params.tensors, stored[0].parameters[0].options());
    for (size_t l = 0; l < ligands.size(); l++)
        addWeighted(total, stored[l], result.lossCoefficients[l]);
    return total;
}

} // namespace

void AffinityPlugin::forEachPoseGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                         const std::function<void(const PoseGradient&)>& sink, bool positionGradients,
                                         int batchSize) {
    scorer.checkPoses(poses, "forEachPoseGradient");
    torch::AutoGradMode gradMode(true);
    Parameters params(scorer);
    const torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    const int batch = scorer.posesSideBySide(batchSize, DefaultMemoryBudgetMiB);
    scorer.poseGradients(all, positionGradients, batch, [&](const PoseGradients& g) {
        const std::vector<double> energies = energiesOf(scorer, {g.energies});
        for (int i = 0; i < (int)energies.size(); i++) {
            PoseGradient out;
            out.pose = g.first + i;
            out.energy = energies[i];
            if (positionGradients)
                out.positionGradient = g.positions[i].clone();
            // Storage of the pose's own: the pass overwrites its outputs with the next batch.
            const std::vector<torch::Tensor> views = viewsOf(g.flatParameters[i].clone(), params.tensors);
            for (size_t k = 0; k < params.names.size(); k++)
                out.parameterGradients.emplace_back(params.names[k], views[k]);
            sink(out);
        }
    });
}

CombinedGradientResult AffinityPlugin::combinedGradient(AffinityScorer& scorer, const PoseEnsemble& poses,
                                                        const Combination& combination, const AffinityLoss& loss,
                                                        const CombinedGradientOptions& options) {
    scorer.checkPoses(poses, "combinedGradient");
    loss.validate(poses.getNumPoses());
    torch::AutoGradMode gradMode(true);
    Parameters params(scorer);
    CombinedGradientResult result;
    torch::Tensor total; // flat, every parameter's entries in model order
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
    torch::Tensor total; // flat, every parameter's entries in model order
    switch (options.strategy) {
    case GradientStrategy::StoreAll:
        total = storeAllSet(ligands, combination, loss, params, options, result);
        break;
    case GradientStrategy::TwoPass:
        total = TwoPassGradient::ofSet(ligands, combination, loss, options, result);
        break;
    case GradientStrategy::OnePass:
        total = OnePassGradient::ofSet(ligands, combination, loss, options, result);
        break;
    }
    // Only now, with every pose evaluated and the loss known, do the parameters' gradients change.
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
    const torch::Tensor total = TwoPassGradient::gradientOfSet(ligands, coefficients, options);
    addToGradients(params, total);
    return coefficients;
}
