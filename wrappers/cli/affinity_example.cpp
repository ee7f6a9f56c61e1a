// SPDX-License-Identifier: MIT
// affinity-example: the bundled example of the README's main job. It builds a small
// protein–ligand pocket as an OpenMM System with an AffinityForce, prints the energy and the
// forces on the ligand on every platform present, then scores a handful of ligand poses and
// combines them into one ΔG per combination.
#include "AffinityForce.h"
#include "AffinityLoss.h"
#include "Combination.h"
#include "PoseEnsemble.h"
#include "openmm/Context.h"
#include "openmm/OpenMMException.h"
#include "openmm/Platform.h"
#include "openmm/State.h"
#include "openmm/System.h"
#include "openmm/VerletIntegrator.h"
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

using namespace AffinityPlugin;
using namespace OpenMM;

namespace {

const char* Usage = R"(usage: affinity-example --model MODEL.pt [--poses N] [--temperature K]

Builds a 30-atom pocket complex (24 receptor atoms on a half shell, a 6-atom ring ligand),
prints the AffinityForce's energy and the forces on the ligand on every OpenMM platform
present, then scores N ligand poses (default 8) and combines them (mean, min, Boltzmann).
)";

struct Complex {
    std::vector<Vec3> positions;
    std::vector<int> atomicNumbers;
    std::vector<bool> ligand;
};

Complex makeComplex() {
    Complex c;
    const int receptorElements[] = {6, 7, 6, 8, 6, 16};
    for (int i = 0; i < 24; i++) { // a half shell of radius 0.62 nm around the origin
        const double theta = std::acos(1.0 - (i + 0.5) / 24.0), phi = 2.39996323 * i;
        c.positions.push_back(Vec3(std::sin(theta) * std::cos(phi), std::sin(theta) * std::sin(phi), std::cos(theta)) *
                              0.62);
        c.atomicNumbers.push_back(receptorElements[i % 6]);
        c.ligand.push_back(false);
    }
    for (int i = 0; i < 6; i++) { // a six-membered ring of radius 0.14 nm
        const double angle = M_PI / 3.0 * i;
        c.positions.push_back(Vec3(0.14 * std::cos(angle), 0.14 * std::sin(angle), 0.25));
        c.atomicNumbers.push_back(i == 0 ? 7 : 6);
        c.ligand.push_back(true);
    }
    return c;
}

// The ligand turned by `angle` about the z axis and lifted by `height` nm.
std::vector<Vec3> pose(const Complex& c, double angle, double height) {
    std::vector<Vec3> result = c.positions;
    for (size_t i = 0; i < result.size(); i++)
        if (c.ligand[i]) {
            const Vec3 p = c.positions[i];
            result[i] = Vec3(p[0] * std::cos(angle) - p[1] * std::sin(angle),
                             p[0] * std::sin(angle) + p[1] * std::cos(angle), p[2] + height);
        }
    return result;
}

} // namespace

int main(int argc, char* argv[]) {
    std::string modelFile;
    int numPoses = 8;
    double temperature = DefaultTemperature;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--model") && i + 1 < argc)
            modelFile = argv[++i];
        else if (!std::strcmp(argv[i], "--poses") && i + 1 < argc)
            numPoses = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--temperature") && i + 1 < argc)
            temperature = std::atof(argv[++i]);
        else {
            std::cout << Usage;
            return std::strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (modelFile.empty() || numPoses < 1) {
        std::cerr << Usage;
        return 2;
    }
    try {
        Platform::loadPluginsFromDirectory(Platform::getDefaultPluginsDirectory());
        const Complex complex = makeComplex();
        System system;
        AffinityForce* force = new AffinityForce(modelFile);
        force->setTemperature(temperature);
        for (size_t i = 0; i < complex.positions.size(); i++) {
            system.addParticle(complex.ligand[i] ? 12.0 : 0.0); // the receptor is held fixed
            force->addParticle((int)i, complex.atomicNumbers[i], complex.ligand[i]);
        }
        system.addForce(force);
        std::printf("model %s, %zu atoms (%d ligand), T = %.2f K\n\n", modelFile.c_str(), complex.positions.size(), 6,
                    temperature);

        for (int p = 0; p < Platform::getNumPlatforms(); p++) {
            Platform& platform = Platform::getPlatform(p);
            VerletIntegrator integrator(0.001);
            std::unique_ptr<Context> context;
            try {
                context.reset(new Context(system, integrator, platform));
            } catch (const OpenMMException& e) {
                std::printf("%-10s not usable here: %s\n\n", platform.getName().c_str(), e.what());
                continue;
            }
            context->setPositions(complex.positions);
            // The first calls let TorchScript profile and optimise the model; time the ones after.
            for (int warmup = 0; warmup < 5; warmup++)
                context->getState(State::Energy | State::Forces);
            const int repeats = 20;
            const auto start = std::chrono::steady_clock::now();
            for (int r = 1; r < repeats; r++)
                context->getState(State::Energy | State::Forces);
            const State state = context->getState(State::Energy | State::Forces);
            const double ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / repeats;
            std::printf("%-10s E = %12.6f kJ/mol (%10.6f kcal/mol)  [%.2f ms per evaluation]\n",
                        platform.getName().c_str(), state.getPotentialEnergy(), state.getPotentialEnergy() / KJPerKcal,
                        ms);
            std::printf("           forces on the ligand (kJ/mol/nm):\n");
            for (size_t i = 24; i < complex.positions.size(); i++) {
                const Vec3 f = state.getForces()[i];
                std::printf("             atom %2zu (Z=%d)  %12.6f %12.6f %12.6f\n", i, complex.atomicNumbers[i], f[0],
                            f[1], f[2]);
            }
            std::printf("\n");
        }

        // Score poses on the Reference platform and combine them.
        VerletIntegrator integrator(0.001);
        Context context(system, integrator, Platform::getPlatformByName("Reference"));
        PoseEnsemble poses = PoseEnsemble::forForce(*force);
        for (int n = 0; n < numPoses; n++)
            poses.addPose(pose(complex, 0.7 * n, 0.03 * (n % 4) - 0.04));
        const std::vector<double> energies = force->computePoseEnergies(context, poses);
        std::printf("pose  ΔG (kcal/mol)\n");
        for (int n = 0; n < numPoses; n++)
            std::printf("%4d  %12.4f\n", n, energies[n] / KJPerKcal);
        const double beta = betaForTemperature(temperature);
        std::printf("\ncombination   ΔG (kcal/mol)   pKi\n");
        for (const char* name : {"mean", "max", "boltzmann"}) {
            const CombinationResult combined = Combination::fromName(name)->combine(energies, temperature);
            std::printf("%-12s  %13.4f  %5.2f\n", name, combined.deltaG / KJPerKcal,
                        Readout(Readout::PKi).apply(combined.deltaG, beta));
        }
    } catch (const std::exception& e) {
        std::cerr << "affinity-example: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
