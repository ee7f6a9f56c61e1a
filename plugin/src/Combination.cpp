// SPDX-License-Identifier: MIT
#include "Combination.h"
#include "AffinityUnits.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

double maxExponent(const std::vector<double>& x, double kappa) {
    double m = -INFINITY;
    for (double v : x)
        m = std::max(m, kappa * v);
    return m;
}

} // namespace

std::vector<double> AffinityPlugin::softmaxWeights(const std::vector<double>& x, double kappa) {
    const double shift = maxExponent(x, kappa);
    std::vector<double> w(x.size());
    double sum = 0.0;
    for (size_t i = 0; i < x.size(); i++) {
        w[i] = std::exp(kappa * x[i] - shift);
        sum += w[i];
    }
    for (double& v : w)
        v /= sum;
    return w;
}

double AffinityPlugin::logSumExp(const std::vector<double>& x, double kappa) {
    const double shift = maxExponent(x, kappa);
    double sum = 0.0;
    for (double v : x)
        sum += std::exp(kappa * v - shift);
    return shift + std::log(sum);
}

CombinationResult Combination::combine(const std::vector<double>& energies, double temperature) const {
    if (energies.empty())
        throw OpenMMException("Combination '" + getName() +
                              "': no pose energies to combine; expected at least one pose");
    for (size_t i = 0; i < energies.size(); i++)
        if (!std::isfinite(energies[i])) {
            std::stringstream msg;
            msg << "Combination '" << getName() << "': the energy of pose " << i << " is " << energies[i]
                << "; expected a finite number";
            throw OpenMMException(msg.str());
        }
    if (!(temperature > 0.0) || !std::isfinite(temperature))
        throw OpenMMException("Combination '" + getName() + "': temperature must be a positive number of kelvin");
    const double beta = betaForTemperature(temperature);
    CombinationResult result;
    result.weights = softmaxWeights(energies, weightExponent(beta));
    result.deltaG = deltaG(energies, result.weights, beta);
    const double reference = energies[0];
    const auto [a, b] = gradientCoefficients(result.deltaG - reference, beta);
    result.coefficients.resize(energies.size());
    for (size_t i = 0; i < energies.size(); i++)
        result.coefficients[i] = result.weights[i] * (a + b * (energies[i] - reference));
    return result;
}

std::unique_ptr<Combination> Combination::fromName(const std::string& name, double maxScale) {
    if (name == "mean")
        return std::make_unique<MeanCombination>();
    // "max" is the MaxCombination of multi-pose affinity models: the smooth maximum of affinity, i.e. the smooth
    // minimum of ΔG (sign −1), which is what rescoring wants from its best pose.
    if (name == "max")
        return std::make_unique<MaxCombination>(-1, maxScale);
    if (name == "boltzmann")
        return std::make_unique<BoltzmannCombination>();
    throw OpenMMException("Combination: unknown combination '" + name + "'; expected mean, max or boltzmann");
}

// Mean: uniform weights (κ = 0), a = 1, b = 0.
double MeanCombination::weightExponent(double) const {
    return 0.0;
}

double MeanCombination::deltaG(const std::vector<double>& energies, const std::vector<double>&, double) const {
    double sum = 0.0;
    for (double g : energies)
        sum += g;
    return sum / energies.size();
}

std::pair<double, double> MeanCombination::gradientCoefficients(double, double) const {
    return {1.0, 0.0};
}

MaxCombination::MaxCombination(int sign, double scale) : sign(sign), scale(scale) {
    if (sign != 1 && sign != -1)
        throw OpenMMException("MaxCombination: sign is " + std::to_string(sign) +
                              "; expected -1 (minimum) or +1 (maximum)");
    if (!(scale > 0.0) || !std::isfinite(scale))
        throw OpenMMException("MaxCombination: scale is " + std::to_string(scale) + "; expected a positive number");
}

// Max: κ = s t β, ΔG = ln Σ exp(κ G) / κ, c = softmax(κ G): a = 1, b = 0.
double MaxCombination::weightExponent(double beta) const {
    return sign * scale * beta;
}

double MaxCombination::deltaG(const std::vector<double>& energies, const std::vector<double>&, double beta) const {
    const double kappa = weightExponent(beta);
    return logSumExp(energies, kappa) / kappa;
}

std::pair<double, double> MaxCombination::gradientCoefficients(double, double) const {
    return {1.0, 0.0};
}

// Boltzmann: κ = −β, ΔG = Σ w G, c_n = w_n (1 − β (G_n − ΔG))
//   = w_n ((1 + β (ΔG − G_ref)) − β (G_n − G_ref)).
double BoltzmannCombination::weightExponent(double beta) const {
    return -beta;
}

double BoltzmannCombination::deltaG(const std::vector<double>& energies, const std::vector<double>& weights,
                                    double) const {
    // Σ w_n (G_n − G_0) + G_0 keeps the sum's terms small when all energies are large.
    double sum = 0.0;
    for (size_t i = 0; i < energies.size(); i++)
        sum += weights[i] * (energies[i] - energies[0]);
    return energies[0] + sum;
}

std::pair<double, double> BoltzmannCombination::gradientCoefficients(double shiftedDeltaG, double beta) const {
    return {1.0 + beta * shiftedDeltaG, -beta};
}
