// SPDX-License-Identifier: MIT
#include "internal/TwoPassGradient.h"
#include "internal/FlatParameters.h"
#include "internal/HostEnergies.h"
#include "internal/LossCoefficients.h"
#include "internal/PoseBatches.h"
#include <algorithm>

using namespace AffinityPlugin;

namespace {

// A ligand's poses on its scorer's device, with the batch size both passes use: the gradient
// pass's, so that on a GPU their graphs share one batch's memory. With the energy pass's own,
// larger batch the two held 2.0 GiB between calls at 2,700 atoms (benchmark model, H100) where
// the budget was 1 GiB.
struct LigandBatches {
    torch::Tensor positions;
    int batch;

    LigandBatches(AffinityScorer& scorer, const PoseEnsemble& poses, const CombinedGradientOptions& options)
        : positions(scorer.uploadPoses(poses, 0, poses.getNumPoses())),
          batch(scorer.batchSize(options.batchSize, options.memoryBudgetMiB, true)) {}
};

torch::Tensor onDevice(const AffinityScorer& scorer, const std::vector<double>& values) {
    return torch::tensor(values, torch::kFloat64)
        .to(torch::TensorOptions().dtype(scorer.getDtype()).device(scorer.getDevice()));
}

// A ligand whose poses fit in one batch, evaluated once: the batch's forward pass keeps its
// autograd graph, its energies give the loss's g_n, and one backward pass with the weights g
// gives Σ_n g_n dG_n/dθ. Pass 1 and pass 2 would evaluate the same batch twice (docked ligands
// have tens of poses, fewer than a GPU batch); memory is still |θ| plus one batch's graph.
torch::Tensor ofOneBatch(AffinityScorer& scorer, const LigandBatches& ligand, const Combination& combination,
                         const AffinityLoss& loss, const CombinedGradientOptions& options,
                         CombinedGradientResult& result) {
    const int numPoses = (int)ligand.positions.size(0);
    OnePassSums sums;
    sums.positions = options.positionGradients;
    OnePassBatchPass& pass = scorer.onePassBatches(numPoses, sums);
    pass.clear();
    const std::vector<double> energies = pass.forward(ligand.positions);
    result = lossAtEnergies(energies, combination, loss, scorer.getTemperature());
    pass.backward(1.0, result.lossCoefficients, {}, {});
    if (options.positionGradients)
        result.positionGradients = combinedPositionGradients(pass.positionGradients(), result.combination.coefficients);
    return pass.sumA().clone(); // a copy: the pass's sums are cleared by its next call
}

} // namespace

std::vector<double> TwoPassGradient::energies(BatchPassCache& passes, BoundModel& model, const torch::Tensor& positions,
                                              int batch) {
    torch::NoGradGuard noGrad;
    const int numPoses = (int)positions.size(0);
    batch = std::min(batch, numPoses);
    EnergyBatchPass& pass = passes.energyPass(model, batch);
    // The energies stay on the device until every batch is done, so the GPU is not stalled by
    // a read-back per batch.
    torch::Tensor energy = torch::empty({numPoses}, positions.options());
    for (const PoseBatch& b : poseBatchesOf(numPoses, batch)) {
        const torch::Tensor& out = pass.run(positions.narrow(0, b.start, batch));
        energy.narrow(0, b.start + b.skipped, batch - b.skipped).copy_(out.narrow(0, b.skipped, batch - b.skipped));
    }
    return finiteEnergiesOnHost(model.model, energy);
}

WeightedGradients TwoPassGradient::weightedGradients(BatchPassCache& passes, const BoundModel& model,
                                                     const torch::Tensor& positions, const torch::Tensor& weights,
                                                     const torch::Tensor& positionWeights, int batch) {
    const int numPoses = (int)positions.size(0);
    const bool withPositions = positionWeights.defined();
    batch = std::min(batch, numPoses);
    GradientBatchPass& pass = passes.gradientPass(model, batch, withPositions);
    pass.clear();
    WeightedGradients result;
    result.energies = torch::empty({numPoses}, positions.options());
    if (withPositions)
        result.positions = torch::empty_like(positions);
    for (const PoseBatch& b : poseBatchesOf(numPoses, batch)) {
        torch::Tensor w = weights.narrow(0, b.start, batch);
        if (b.skipped > 0) { // poses that an earlier batch covered add nothing again
            w = w.clone();
            w.narrow(0, 0, b.skipped).zero_();
        }
        pass.run(positions.narrow(0, b.start, batch), w,
                 withPositions ? positionWeights.narrow(0, b.start, batch) : torch::Tensor());
        result.energies.narrow(0, b.start + b.skipped, batch - b.skipped)
            .copy_(pass.energies().narrow(0, b.skipped, batch - b.skipped));
        if (withPositions)
            result.positions.narrow(0, b.start + b.skipped, batch - b.skipped)
                .copy_(pass.positionGradients().narrow(0, b.skipped, batch - b.skipped));
    }
    // A copy: the pass's sums are cleared by its next call.
    result.flatParameters = pass.flatParameterGradients().clone();
    result.parameters = viewsOf(result.flatParameters, pass.trainableParameters());
    return result;
}

torch::Tensor TwoPassGradient::ofLigand(AffinityScorer& scorer, const PoseEnsemble& poses,
                                        const Combination& combination, const AffinityLoss& loss,
                                        const CombinedGradientOptions& options, CombinedGradientResult& result) {
    const LigandBatches ligand(scorer, poses, options);
    if (poses.getNumPoses() <= ligand.batch)
        return ofOneBatch(scorer, ligand, combination, loss, options, result);
    // Pass 1, then the loss's coefficients g_n (and c_n for the position gradients).
    std::vector<double> energies = scorer.batchedEnergies(ligand.positions, ligand.batch);
    result = lossAtEnergies(energies, combination, loss, scorer.getTemperature());
    const torch::Tensor g = onDevice(scorer, result.lossCoefficients);
    const torch::Tensor c =
        options.positionGradients ? onDevice(scorer, result.combination.coefficients) : torch::Tensor();
    // Pass 2.
    WeightedGradients sums = scorer.weightedGradients(ligand.positions, g, c, ligand.batch);
    if (options.positionGradients)
        result.positionGradients = sums.positions.to(torch::kCPU, torch::kFloat64);
    return sums.flatParameters;
}

LigandSetScores TwoPassGradient::scoresOfSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                             const CombinedGradientOptions& options) {
    LigandSetScores scores;
    for (const LigandTerm& term : ligands) {
        AffinityScorer& scorer = *term.scorer;
        const LigandBatches ligand(scorer, *term.poses, options);
        scores.energies.push_back(scorer.batchedEnergies(ligand.positions, ligand.batch));
        scores.combinations.push_back(combination.combine(scores.energies.back(), scorer.getTemperature()));
    }
    return scores;
}

torch::Tensor TwoPassGradient::gradientOfSet(const std::vector<LigandTerm>& ligands,
                                             const std::vector<std::vector<double>>& coefficients,
                                             const CombinedGradientOptions& options) {
    torch::Tensor total;
    for (size_t l = 0; l < ligands.size(); l++) {
        AffinityScorer& scorer = *ligands[l].scorer;
        const LigandBatches ligand(scorer, *ligands[l].poses, options);
        WeightedGradients sums = scorer.weightedGradients(ligand.positions, onDevice(scorer, coefficients[l]),
                                                          torch::Tensor(), ligand.batch);
        if (total.defined())
            total.add_(sums.flatParameters);
        else
            total = sums.flatParameters;
    }
    return total;
}

torch::Tensor TwoPassGradient::ofSet(const std::vector<LigandTerm>& ligands, const Combination& combination,
                                     const LigandSetLoss& loss, const CombinedGradientOptions& options,
                                     SetGradientResult& result) {
    result.scores = scoresOfSet(ligands, combination, options);
    applyLigandSetLoss(ligands, loss, result);
    return gradientOfSet(ligands, result.lossCoefficients, options);
}
