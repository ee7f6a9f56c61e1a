// SPDX-License-Identifier: MIT
#include "internal/OnePassGradient.h"
#include "internal/BatchPasses.h"
#include "internal/LossCoefficients.h"
#include "internal/OnePassBatchPass.h"
#include "internal/PoseBatches.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <functional>
#include <limits>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

// The per-pose loss term's derivative ℓ_n'(G_n), for pose n of energy G_n.
using PoseTermDerivative = std::function<double(int pose, double energy)>;

// One ligand's running sums (see OnePassGradient.h): the pass's own tensors until copied.
struct OnlineSums {
    double maxExponent = -std::numeric_limits<double>::infinity(), normaliser = 0.0, reference = 0.0;
    torch::Tensor sumA, sumB, sumP; // flat, float64; B and P undefined unless kept

    // L'(ΔG) (a A + b B)/Z added to total.
    void addCombined(torch::Tensor& total, const Combination& combination, double deltaG, double dLdDeltaG,
                     double beta) const {
        const auto [a, b] = combination.gradientCoefficients(deltaG - reference, beta);
        total.add_(sumA, dLdDeltaG * a / normaliser);
        if (sumB.defined())
            total.add_(sumB, dLdDeltaG * b / normaliser);
    }
};

// Evaluate every pose of one ligand once, in batches of the scorer's one-pass pass, into the
// sums `s` (P with the per-pose terms when `poseTerm` is given) and dG_n/dx_n into
// positionGradients [P,N,3] when it is defined. Returns G_n.
std::vector<double> accumulate(AffinityScorer& scorer, const PoseEnsemble& poses, const Combination& combination,
                               const CombinedGradientOptions& options, const PoseTermDerivative& poseTerm,
                               OnlineSums& s, torch::Tensor& positionGradients) {
    const double kappa = combination.weightExponent(betaForTemperature(scorer.getTemperature()));
    const int numPoses = poses.getNumPoses();
    const int batch = std::min(scorer.batchSize(options.batchSize, options.memoryBudgetMiB, true), numPoses);
    const torch::Tensor all = scorer.uploadPoses(poses, 0, numPoses);
    OnePassBatchPass& pass = scorer.onePassBatches(
        batch, OnePassSums{combination.hasShiftTerm(), (bool)poseTerm, positionGradients.defined()});
    pass.clear();
    std::vector<double> energies(numPoses);
    for (const PoseBatch& b : poseBatchesOf(numPoses, batch)) {
        const std::vector<double> batchEnergies = pass.forward(all.narrow(0, b.start, batch));
        double maxExponent = s.maxExponent;
        for (int i = b.skipped; i < batch; i++) {
            energies[b.start + i] = batchEnergies[i];
            maxExponent = std::max(maxExponent, kappa * batchEnergies[i]);
        }
        if (b.start + b.skipped == 0)
            s.reference = energies[0];
        double rescale = 1.0;
        if (maxExponent > s.maxExponent) {
            rescale = std::exp(s.maxExponent - maxExponent);
            s.normaliser *= rescale;
            s.maxExponent = maxExponent;
        }
        // Poses an earlier batch covered keep weights of zero.
        std::vector<double> forA(batch, 0.0), forB(batch, 0.0), forP(batch, 0.0);
        for (int i = b.skipped; i < batch; i++) {
            const double energy = batchEnergies[i];
            const double weight = std::exp(kappa * energy - s.maxExponent);
            s.normaliser += weight;
            forA[i] = weight;
            forB[i] = weight * (energy - s.reference);
            if (poseTerm)
                forP[i] = poseTerm(b.start + i, energy);
        }
        pass.backward(rescale, forA, forB, forP);
        if (positionGradients.defined())
            positionGradients.narrow(0, b.start + b.skipped, batch - b.skipped)
                .copy_(pass.positionGradients().narrow(0, b.skipped, batch - b.skipped));
    }
    s.sumA = pass.sumA();
    s.sumB = pass.sumB();
    s.sumP = pass.sumP();
    return energies;
}

} // namespace

torch::Tensor OnePassGradient::ofLigand(AffinityScorer& scorer, const PoseEnsemble& poses,
                                        const Combination& combination, const AffinityLoss& loss,
                                        const CombinedGradientOptions& options, CombinedGradientResult& result) {
    PoseTermDerivative poseTerm;
    if (loss.hasPoseTerms())
        poseTerm = [&loss](int n, double energy) { return loss.derivativeByPose(n, energy); };
    torch::Tensor positionGradients;
    if (options.positionGradients)
        positionGradients = torch::empty({poses.getNumPoses(), scorer.getNumAtoms(), 3},
                                         torch::TensorOptions().dtype(scorer.getDtype()).device(scorer.getDevice()));
    OnlineSums s;
    const std::vector<double> energies =
        accumulate(scorer, poses, combination, options, poseTerm, s, positionGradients);
    result = lossAtEnergies(energies, combination, loss, scorer.getTemperature());
    const double beta = betaForTemperature(scorer.getTemperature());
    torch::Tensor total = torch::zeros_like(s.sumA);
    s.addCombined(total, combination, result.combination.deltaG,
                  loss.derivativeByDeltaG(result.combination.deltaG, beta), beta);
    if (s.sumP.defined())
        total.add_(s.sumP);
    if (options.positionGradients)
        result.positionGradients = combinedPositionGradients(positionGradients, result.combination.coefficients);
    return total;
}

torch::Tensor OnePassGradient::ofSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                     const LigandSetLoss& loss, const CombinedGradientOptions& options,
                                     SetGradientResult& result) {
    const int count = (int)ligands.size();
    // The per-pose terms are separable (their derivatives are known pose by pose): one sum for
    // the set. Each ligand's A and B are copied out of its scorer's pass, which the next ligand
    // of the same scorer reuses.
    torch::Tensor poseTerms;
    std::vector<OnlineSums> sums(ligands.size());
    for (size_t l = 0; l < ligands.size(); l++) {
        AffinityScorer& scorer = *ligands[l].scorer;
        const double beta = betaForTemperature(scorer.getTemperature());
        const std::vector<double>& targets = ligands[l].poseTargets;
        PoseTermDerivative poseTerm;
        if (!targets.empty())
            poseTerm = [&](int n, double energy) { return loss.poseTermDerivative(energy, targets[n], beta, count); };
        torch::Tensor noPositions;
        OnlineSums& s = sums[l];
        std::vector<double> energies =
            accumulate(scorer, *ligands[l].poses, combination, options, poseTerm, s, noPositions);
        s.sumA = s.sumA.clone();
        if (s.sumB.defined())
            s.sumB = s.sumB.clone();
        if (s.sumP.defined())
            poseTerms = poseTerms.defined() ? poseTerms.add_(s.sumP) : s.sumP.clone();
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
    torch::Tensor total = torch::zeros_like(sums[0].sumA);
    for (size_t l = 0; l < ligands.size(); l++)
        sums[l].addCombined(total, combination, result.scores.combinations[l].deltaG, result.lossByDeltaG[l],
                            betaForTemperature(ligands[l].scorer->getTemperature()));
    if (poseTerms.defined())
        total.add_(poseTerms);
    return total;
}
