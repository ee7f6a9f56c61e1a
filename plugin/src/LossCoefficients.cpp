// SPDX-License-Identifier: MIT
#include "internal/LossCoefficients.h"

using namespace AffinityPlugin;

CombinedGradientResult AffinityPlugin::lossAtEnergies(const std::vector<double>& energies,
                                                      const Combination& combination, const AffinityLoss& loss,
                                                      double temperature) {
    CombinedGradientResult result;
    const double beta = betaForTemperature(temperature);
    result.energies = energies;
    result.combination = combination.combine(energies, temperature);
    result.loss = loss.value(result.combination.deltaG, energies, beta);
    result.lossCoefficients =
        loss.poseCoefficients(result.combination.deltaG, energies, result.combination.coefficients, beta);
    return result;
}

torch::Tensor AffinityPlugin::combinedPositionGradients(const torch::Tensor& perPose,
                                                        const std::vector<double>& coefficients) {
    const torch::Tensor c = torch::tensor(coefficients, torch::kFloat64);
    return perPose.to(torch::kCPU, torch::kFloat64) * c.view({-1, 1, 1});
}

LigandSetValues AffinityPlugin::ligandSetValues(const std::vector<LigandTerm>& ligands, const LigandSetScores& scores) {
    LigandSetValues values;
    for (size_t l = 0; l < ligands.size(); l++) {
        values.deltaG.push_back(scores.combinations[l].deltaG);
        values.poseEnergies.push_back(scores.energies[l]);
        values.targets.push_back(ligands[l].target);
        values.sigmas.push_back(ligands[l].sigma);
        values.poseTargets.push_back(ligands[l].poseTargets);
        values.betas.push_back(betaForTemperature(ligands[l].scorer->getTemperature()));
    }
    return values;
}

std::vector<std::vector<double>>
AffinityPlugin::ligandSetLossCoefficients(const LigandSetScores& scores, const std::vector<double>& byDeltaG,
                                          const std::vector<std::vector<double>>& byPoseEnergy) {
    std::vector<std::vector<double>> g;
    for (size_t l = 0; l < scores.combinations.size(); l++) {
        const std::vector<double>& c = scores.combinations[l].coefficients;
        std::vector<double> gl(c.size());
        for (size_t n = 0; n < c.size(); n++)
            gl[n] = byDeltaG[l] * c[n] + (byPoseEnergy.empty() ? 0.0 : byPoseEnergy[l][n]);
        g.push_back(std::move(gl));
    }
    return g;
}

void AffinityPlugin::applyLigandSetLoss(const std::vector<LigandTerm>& ligands, const LigandSetLoss& loss,
                                        SetGradientResult& result) {
    SetLossValue value = loss.evaluate(ligandSetValues(ligands, result.scores));
    result.loss = value.value;
    result.lossByDeltaG = std::move(value.byLigand);
    result.lossByPoseEnergy = std::move(value.byPose);
    result.lossCoefficients = ligandSetLossCoefficients(result.scores, result.lossByDeltaG, result.lossByPoseEnergy);
}

std::string AffinityPlugin::ligandName(size_t l) {
    return "ligand " + std::to_string(l);
}
