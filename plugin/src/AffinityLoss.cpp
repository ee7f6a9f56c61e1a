// SPDX-License-Identifier: MIT
#include "AffinityLoss.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

Readout::Readout(Kind kind, double substrateConcentration, double michaelisConstant)
    : kind(kind), substrateConcentration(substrateConcentration), michaelisConstant(michaelisConstant) {
    if (!(substrateConcentration >= 0.0) || !std::isfinite(substrateConcentration))
        throw OpenMMException("Readout: substrate concentration must be finite and >= 0");
    if (!(michaelisConstant > 0.0) || !std::isfinite(michaelisConstant))
        throw OpenMMException("Readout: Michaelis constant K_m must be finite and > 0");
}

Readout Readout::fromName(const std::string& name, double substrateConcentration, double michaelisConstant) {
    if (name == "none" || name == "dg")
        return Readout(None, substrateConcentration, michaelisConstant);
    if (name == "pic50")
        return Readout(PIC50, substrateConcentration, michaelisConstant);
    if (name == "pki")
        return Readout(PKi, substrateConcentration, michaelisConstant);
    throw OpenMMException("Readout: unknown readout '" + name + "'; expected none, pic50 or pki");
}

double Readout::apply(double deltaG, double beta) const {
    switch (kind) {
    case None:
        return deltaG;
    case PKi:
        return -beta * deltaG / std::log(10.0);
    case PIC50:
        return -beta * deltaG / std::log(10.0) - std::log10(1.0 + substrateConcentration / michaelisConstant);
    }
    return deltaG;
}

double Readout::derivative(double beta) const {
    return kind == None ? 1.0 : -beta / std::log(10.0);
}

AffinityLoss::AffinityLoss(double target, const Readout& readout) : target(target), readout(readout) {}

void AffinityLoss::setPoseTargets(const std::vector<double>& targets, double weight) {
    if (!(weight >= 0.0) || !std::isfinite(weight))
        throw OpenMMException("AffinityLoss: pose weight must be finite and >= 0");
    poseTargets = targets;
    poseWeight = weight;
}

void AffinityLoss::validate(int numPoses) const {
    if (!std::isfinite(target)) {
        std::stringstream msg;
        msg << "AffinityLoss: the target is " << target << "; expected a finite number";
        throw OpenMMException(msg.str());
    }
    if (poseTargets.empty())
        return;
    if ((int)poseTargets.size() != numPoses) {
        std::stringstream msg;
        msg << "AffinityLoss: " << poseTargets.size() << " pose targets for " << numPoses
            << " poses; expected one per pose";
        throw OpenMMException(msg.str());
    }
    for (size_t i = 0; i < poseTargets.size(); i++)
        if (!std::isfinite(poseTargets[i])) {
            std::stringstream msg;
            msg << "AffinityLoss: the target of pose " << i << " is " << poseTargets[i] << "; expected a finite number";
            throw OpenMMException(msg.str());
        }
}

double AffinityLoss::value(double deltaG, const std::vector<double>& energies, double beta) const {
    const double residual = readout.apply(deltaG, beta) - target;
    double loss = residual * residual;
    for (size_t i = 0; i < poseTargets.size(); i++)
        loss += poseWeight * (energies[i] - poseTargets[i]) * (energies[i] - poseTargets[i]);
    return loss;
}

double AffinityLoss::derivativeByDeltaG(double deltaG, double beta) const {
    return 2.0 * (readout.apply(deltaG, beta) - target) * readout.derivative(beta);
}

double AffinityLoss::derivativeByPose(int pose, double energy) const {
    return poseTargets.empty() ? 0.0 : 2.0 * poseWeight * (energy - poseTargets[pose]);
}

std::vector<double> AffinityLoss::poseCoefficients(double deltaG, const std::vector<double>& energies,
                                                   const std::vector<double>& combinationCoefficients,
                                                   double beta) const {
    const double dLdDeltaG = derivativeByDeltaG(deltaG, beta);
    std::vector<double> g(energies.size());
    for (size_t i = 0; i < energies.size(); i++)
        g[i] = dLdDeltaG * combinationCoefficients[i] + derivativeByPose(i, energies[i]);
    return g;
}
