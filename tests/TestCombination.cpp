// SPDX-License-Identifier: MIT
// The combinations, readouts and loss against independent computations: LibTorch autograd
// through torch::logsumexp / softmax, and the formulas of docs/combination-and-gradients.md
// written out literally.
#include "AffinityLoss.h"
#include "AffinityUnits.h"
#include "Combination.h"
#include "openmm/OpenMMException.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <torch/script.h>

using namespace AffinityPlugin;
using Catch::Contains;

namespace {

const double T = 298.15;
const double Beta = betaForTemperature(T);

// ΔG of a combination written with LibTorch ops, differentiated by autograd: the independent
// reference for ΔG and c_n.
struct AutogradReference {
    double deltaG;
    std::vector<double> coefficients;
};

AutogradReference autogradCombination(const std::string& kind, int sign, double scale,
                                      const std::vector<double>& energies, double beta) {
    torch::Tensor g = torch::tensor(energies, torch::kFloat64).requires_grad_(true);
    torch::Tensor dg;
    if (kind == "mean")
        dg = g.mean();
    else if (kind == "max")
        dg = torch::logsumexp(sign * scale * beta * g, 0) / (sign * scale * beta);
    else
        dg = (torch::softmax(-beta * g, 0) * g).sum();
    dg.backward();
    torch::Tensor c = g.grad();
    return {dg.item<double>(), std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel())};
}

void requireClose(double actual, double expected, double tolerance) {
    REQUIRE(std::isfinite(actual));
    REQUIRE(std::abs(actual - expected) <= tolerance * std::max(1.0, std::abs(expected)));
}

struct Case {
    std::string kind;
    int sign;
    double scale;
    std::unique_ptr<Combination> make() const {
        if (kind == "mean")
            return std::make_unique<MeanCombination>();
        if (kind == "max")
            return std::make_unique<MaxCombination>(sign, scale);
        return std::make_unique<BoltzmannCombination>();
    }
};

} // namespace

TEST_CASE("Each combination's ΔG and c_n equal LibTorch autograd") {
    const double kT = 1.0 / Beta;
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(-30.0, 8.0);
    std::vector<double> random;
    for (int i = 0; i < 9; i++)
        random.push_back(normal(rng));
    const std::vector<std::vector<double>> energySets = {
        {-42.0},                                     // one pose
        {-12.5, -12.5, -12.5, -12.5},                // equal predictions
        random,                                      // a spread of a few kT
        {-1e4 * kT, 0.0, 2.0 * kT, 1e4 * kT},        // a spread of 10^4 kT
        {5e3 * kT, 5e3 * kT + 1.0, 5e3 * kT + 3.0}}; // large energies, small differences
    const std::vector<Case> cases = {{"mean", 0, 0}, {"max", -1, 1000.0}, {"max", +1, 2.5}, {"boltzmann", 0, 0}};
    for (const Case& c : cases)
        for (const auto& energies : energySets) {
            INFO(c.kind << " sign " << c.sign << " scale " << c.scale << " with " << energies.size() << " poses");
            const CombinationResult result = c.make()->combine(energies, T);
            const AutogradReference reference = autogradCombination(c.kind, c.sign, c.scale, energies, Beta);
            requireClose(result.deltaG, reference.deltaG, 1e-12);
            double weightSum = 0.0;
            for (size_t n = 0; n < energies.size(); n++) {
                requireClose(result.coefficients[n], reference.coefficients[n], 1e-12);
                weightSum += result.weights[n];
            }
            requireClose(weightSum, 1.0, 1e-14);
        }
}

TEST_CASE("hasShiftTerm() is false only where autograd's c_n / w_n is the same for every pose") {
    // Without a shift term c_n = a w_n, which is what lets the one-pass strategy keep one sum.
    std::mt19937 rng(11);
    std::normal_distribution<double> normal(-30.0, 3.0);
    std::vector<double> energies;
    for (int i = 0; i < 7; i++)
        energies.push_back(normal(rng));
    const std::vector<Case> cases = {{"mean", 0, 0}, {"max", -1, 2.0}, {"max", +1, 2.5}, {"boltzmann", 0, 0}};
    for (const Case& c : cases) {
        INFO(c.kind << " sign " << c.sign);
        const std::unique_ptr<Combination> combination = c.make();
        const CombinationResult result = combination->combine(energies, T);
        const AutogradReference reference = autogradCombination(c.kind, c.sign, c.scale, energies, Beta);
        double spread = 0.0;
        for (size_t n = 1; n < energies.size(); n++)
            spread = std::max(spread, std::abs(reference.coefficients[n] / result.weights[n] -
                                               reference.coefficients[0] / result.weights[0]));
        REQUIRE(combination->hasShiftTerm() == (spread > 1e-6));
    }
}

TEST_CASE("The documented formulas are reproduced literally with G in kT (β = 1)") {
    // T = 1/k_B makes β = 1 mol/kJ, so energies in kJ/mol are energies in kT, as in the derivation.
    const double temperature = 1.0 / BoltzmannKJPerMolK;
    const std::vector<double> g = {-3.2, -1.1, -2.7, 0.4, -0.9};
    const int n = (int)g.size();
    SECTION("MeanCombination") {
        CombinationResult r = MeanCombination().combine(g, temperature);
        double mean = 0.0;
        for (double v : g)
            mean += v / n;
        requireClose(r.deltaG, mean, 1e-14);
        for (double c : r.coefficients)
            requireClose(c, 1.0 / n, 1e-14);
    }
    SECTION("MaxCombination: ΔG = −(1/t) ln Σ exp(−t G), dΔG/dG_n = exp(−t G_n − Q)") {
        const double t = 1.7;
        double sum = 0.0;
        for (double v : g)
            sum += std::exp(-t * v);
        const double q = std::log(sum);
        CombinationResult r = MaxCombination(-1, t).combine(g, temperature);
        requireClose(r.deltaG, -q / t, 1e-13);
        for (int i = 0; i < n; i++)
            requireClose(r.coefficients[i], std::exp(-t * g[i] - q), 1e-13);
    }
    SECTION("BoltzmannCombination: dΔG/dθ = Σ [dw_n/dθ G_n + w_n dG_n/dθ]") {
        // Take θ = G, so dG_n/dθ_m = δ_nm, and follow the derivation's chain of formulas (through Q).
        double sum = 0.0;
        for (double v : g)
            sum += std::exp(-v);
        const double q = std::log(sum);
        std::vector<double> w(n);
        double deltaG = 0.0;
        for (int i = 0; i < n; i++) {
            w[i] = std::exp(-g[i] - q);
            deltaG += w[i] * g[i];
        }
        CombinationResult r = BoltzmannCombination().combine(g, temperature);
        requireClose(r.deltaG, deltaG, 1e-13);
        for (int m = 0; m < n; m++) {
            // dQ/dθ_m = −Σ_n exp(−G_n − Q) dG_n/dθ_m = −w_m
            const double dQ = -w[m];
            double derivative = 0.0;
            for (int i = 0; i < n; i++) {
                const double dGi = i == m ? 1.0 : 0.0;
                const double dwi = std::exp(-g[i] - q) * (-dGi - dQ);
                derivative += dwi * g[i] + w[i] * dGi;
            }
            requireClose(r.coefficients[m], derivative, 1e-13);
        }
    }
}

TEST_CASE("Readouts follow pIC50 = −βΔG/ln 10 − log10(1 + [S]/K_m) and pK_i = −βΔG/ln 10") {
    const double deltaG = -40.0;
    requireClose(Readout(Readout::PKi).apply(deltaG, Beta), -Beta * deltaG / std::log(10.0), 1e-15);
    requireClose(Readout(Readout::PIC50, 2.0, 0.5).apply(deltaG, Beta),
                 -Beta * deltaG / std::log(10.0) - std::log10(1.0 + 2.0 / 0.5), 1e-15);
    requireClose(Readout().apply(deltaG, Beta), deltaG, 0.0);
    REQUIRE_THROWS_WITH(Readout::fromName("pkd"), Contains("expected none, pic50 or pki"));
}

TEST_CASE("The loss and its derivatives equal LibTorch autograd") {
    const std::vector<double> energies = {-20.0, -18.5, -25.0};
    const std::vector<double> poseTargets = {-21.0, -17.0, -24.0};
    for (Readout readout : {Readout(), Readout(Readout::PIC50, 1.0, 3.0), Readout(Readout::PKi)}) {
        AffinityLoss loss(readout.getKind() == Readout::None ? -23.0 : 4.2, readout);
        loss.setPoseTargets(poseTargets, 0.3);
        const CombinationResult combination = BoltzmannCombination().combine(energies, T);
        const std::vector<double> g =
            loss.poseCoefficients(combination.deltaG, energies, combination.coefficients, Beta);

        torch::Tensor e = torch::tensor(energies, torch::kFloat64).requires_grad_(true);
        torch::Tensor dg = (torch::softmax(-Beta * e, 0) * e).sum();
        torch::Tensor r = dg;
        if (readout.getKind() != Readout::None)
            r = -Beta * dg / std::log(10.0) - (readout.getKind() == Readout::PIC50 ? std::log10(1.0 + 1.0 / 3.0) : 0.0);
        torch::Tensor l =
            (r - loss.getTarget()).pow(2) + 0.3 * (e - torch::tensor(poseTargets, torch::kFloat64)).pow(2).sum();
        l.backward();
        requireClose(loss.value(combination.deltaG, energies, Beta), l.item<double>(), 1e-12);
        for (int i = 0; i < 3; i++)
            requireClose(g[i], e.grad()[i].item<double>(), 1e-12);
    }
}

TEST_CASE("Bad combination input gives an OpenMMException") {
    REQUIRE_THROWS_WITH(MeanCombination().combine({}, T), Contains("expected at least one pose"));
    REQUIRE_THROWS_WITH(BoltzmannCombination().combine({1.0, NAN}, T), Contains("energy of pose 1 is nan"));
    REQUIRE_THROWS_WITH(MaxCombination(0, 1.0), Contains("expected -1 (minimum) or +1 (maximum)"));
    REQUIRE_THROWS_WITH(MaxCombination(-1, -2.0), Contains("expected a positive number"));
    REQUIRE_THROWS_WITH(Combination::fromName("median"), Contains("unknown combination 'median'"));
    AffinityLoss loss(NAN);
    REQUIRE_THROWS_WITH(loss.validate(3), Contains("the target is nan"));
}
