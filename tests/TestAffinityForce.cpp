// SPDX-License-Identifier: MIT
// AffinityForce in a Context, on the platform named by --platform: energies and forces
// against closed forms and finite differences, units, parameters, pose scoring, periodic
// imaging, errors, and XML serialization.
#include "AffinityForce.h"
#include "PoseEnsemble.h"
#include "TestSupport.h"
#include "openmm/Context.h"
#include "openmm/OpenMMException.h"
#include "openmm/State.h"
#include "openmm/System.h"
#include "openmm/VerletIntegrator.h"
#include "openmm/serialization/XmlSerializer.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>

using namespace AffinityPlugin;
using namespace OpenMM;
using AffinityTest::model;
using AffinityTest::platform;
using Catch::Contains;

namespace {

// The harmonic test models: E = k/2 Σ |x_i − c|² over ligand atoms (or all atoms).
const Vec3 Center(1.0, 1.5, 2.0);
const double Spring = 250.0;

// The relative tolerance for comparisons with closed forms: the models here are float64, so
// every platform that evaluates them in float64 reaches it; CUDA in single precision does not.
double closedFormTolerance() {
    return AffinityTest::platformName() == "CUDA" ? 1e-5 : 1e-10;
}

// A System of `count` particles at random positions in a 3 nm box; the AffinityForce sees
// particles 1..count-1 (particle 0 is left out, so it must receive no force), of which the
// last `ligandCount` form the ligand.
struct Complex {
    System system;
    AffinityForce* force;
    std::vector<Vec3> positions;
    std::vector<int> atomicNumbers;
    std::vector<bool> ligand;

    Complex(const std::string& modelFile, int count, int ligandCount, unsigned seed = 1) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> uniform(0.0, 3.0);
        force = new AffinityForce(modelFile);
        const int elements[] = {6, 7, 8, 16, 1};
        for (int i = 0; i < count; i++) {
            system.addParticle(12.0);
            positions.push_back(Vec3(uniform(rng), uniform(rng), uniform(rng)));
            if (i > 0) {
                const bool isLigand = i >= count - ligandCount;
                const int z = elements[i % 5];
                force->addParticle(i, z, isLigand);
                atomicNumbers.push_back(z);
                ligand.push_back(isLigand);
            }
        }
        system.addForce(force);
    }
};

State evaluate(const System& system, const std::vector<Vec3>& positions, int groups = -1) {
    VerletIntegrator integrator(0.001);
    Context context(system, integrator, platform());
    context.setPositions(positions);
    return context.getState(State::Energy | State::Forces, false, groups);
}

void requireClose(double actual, double expected, double tolerance) {
    REQUIRE(std::abs(actual - expected) <= tolerance * std::max(1.0, std::abs(expected)));
}

void requireClose(const Vec3& actual, const Vec3& expected, double tolerance) {
    for (int k = 0; k < 3; k++)
        requireClose(actual[k], expected[k], tolerance);
}

} // namespace

TEST_CASE("A harmonic ligand restraint gives its closed-form energy and forces") {
    Complex complex(model("harmonic.pt"), 9, 4);
    State state = evaluate(complex.system, complex.positions);
    double expected = 0.0;
    for (int i = 1; i < 9; i++) {
        const bool isLigand = i >= 5;
        const Vec3 d = complex.positions[i] - Center;
        if (isLigand)
            expected += 0.5 * Spring * d.dot(d);
        const Vec3 force = isLigand ? d * -Spring : Vec3();
        requireClose(state.getForces()[i], force, closedFormTolerance());
    }
    requireClose(state.getForces()[0], Vec3(), 0.0);
    requireClose(state.getPotentialEnergy(), expected, closedFormTolerance());
}

TEST_CASE("A positions-only model (the OpenMM-Torch contract) sees every particle when none are added") {
    System system;
    std::vector<Vec3> positions;
    for (int i = 0; i < 5; i++) {
        system.addParticle(1.0);
        positions.push_back(Vec3(0.3 * i, 1.0 - 0.2 * i, 0.5 + 0.1 * i * i));
    }
    system.addForce(new AffinityForce(model("harmonic_positions_only.pt")));
    State state = evaluate(system, positions);
    double expected = 0.0;
    for (int i = 0; i < 5; i++) {
        const Vec3 d = positions[i] - Center;
        expected += 0.5 * Spring * d.dot(d);
        requireClose(state.getForces()[i], d * -Spring, closedFormTolerance());
    }
    requireClose(state.getPotentialEnergy(), expected, closedFormTolerance());
}

TEST_CASE("Forces equal a central finite difference of the energy") {
    Complex complex(model("pair.pt"), 12, 4, 3);
    State state = evaluate(complex.system, complex.positions);
    VerletIntegrator integrator(0.001);
    Context context(complex.system, integrator, platform());
    const double h = AffinityTest::platformName() == "CUDA" ? 1e-3 : 1e-5;
    const double tolerance = AffinityTest::platformName() == "CUDA" ? 2e-3 : 1e-6;
    for (int i : {1, 5, 8, 11})
        for (int k = 0; k < 3; k++) {
            std::vector<Vec3> moved = complex.positions;
            moved[i][k] += h;
            context.setPositions(moved);
            const double plus = context.getState(State::Energy).getPotentialEnergy();
            moved[i][k] -= 2 * h;
            context.setPositions(moved);
            const double minus = context.getState(State::Energy).getPotentialEnergy();
            requireClose(state.getForces()[i][k], -(plus - minus) / (2 * h), tolerance);
        }
}

TEST_CASE("Energies in kcal/mol and kT are converted to kJ/mol") {
    Complex kj(model("harmonic.pt"), 6, 3);
    const double reference = evaluate(kj.system, kj.positions).getPotentialEnergy();
    Complex kcal(model("harmonic_kcal.pt"), 6, 3);
    requireClose(evaluate(kcal.system, kcal.positions).getPotentialEnergy(), 4.184 * reference, closedFormTolerance());

    Complex kt(model("harmonic_kT.pt"), 6, 3);
    kt.force->setTemperature(310.0);
    VerletIntegrator integrator(0.001);
    Context context(kt.system, integrator, platform());
    context.setPositions(kt.positions);
    requireClose(context.getState(State::Energy).getPotentialEnergy(), BoltzmannKJPerMolK * 310.0 * reference,
                 closedFormTolerance());
    SECTION("and a new temperature reaches the Context through updateParametersInContext") {
        kt.force->setTemperature(350.0);
        kt.force->updateParametersInContext(context);
        requireClose(context.getState(State::Energy).getPotentialEnergy(), BoltzmannKJPerMolK * 350.0 * reference,
                     closedFormTolerance());
    }
}

TEST_CASE("updateParametersInContext changes atomic numbers and ligand flags") {
    Complex complex(model("pair.pt"), 8, 3, 5);
    VerletIntegrator integrator(0.001);
    Context context(complex.system, integrator, platform());
    context.setPositions(complex.positions);
    const double before = context.getState(State::Energy).getPotentialEnergy();
    complex.force->setParticleParameters(2, 3, 17, true);
    complex.force->updateParametersInContext(context);
    const double updated = context.getState(State::Energy).getPotentialEnergy();
    REQUIRE(updated != before);
    // A fresh Context built from the changed force agrees.
    requireClose(updated, evaluate(complex.system, complex.positions).getPotentialEnergy(), 1e-12);
    SECTION("but not the system indices") {
        complex.force->setParticleParameters(2, 0, 17, true);
        REQUIRE_THROWS_WITH(complex.force->updateParametersInContext(context), Contains("system indices"));
    }
}

TEST_CASE("The force group is respected") {
    Complex complex(model("harmonic.pt"), 6, 3);
    complex.force->setForceGroup(3);
    REQUIRE(evaluate(complex.system, complex.positions, 1 << 3).getPotentialEnergy() != 0.0);
    REQUIRE(evaluate(complex.system, complex.positions, 1 << 2).getPotentialEnergy() == 0.0);
}

TEST_CASE("computePoseEnergies equals setting each pose's positions and reading the energy") {
    for (const char* name : {"pair.pt", "mlp_f64.pt"}) {
        Complex complex(model(name), 10, 4, 11);
        complex.force->setProperty("poseBatchSize", "3");
        VerletIntegrator integrator(0.001);
        Context context(complex.system, integrator, platform());
        PoseEnsemble poses = PoseEnsemble::forForce(*complex.force);
        std::mt19937 rng(2);
        std::normal_distribution<double> jitter(0.0, 0.05);
        std::vector<std::vector<Vec3>> systemPoses;
        for (int p = 0; p < 7; p++) {
            std::vector<Vec3> all = complex.positions, posePositions;
            for (int i = 6; i < 10; i++)
                all[i] += Vec3(jitter(rng), jitter(rng), jitter(rng));
            for (int i = 1; i < 10; i++)
                posePositions.push_back(all[i]);
            poses.addPose(posePositions);
            systemPoses.push_back(all);
        }
        const std::vector<double> energies = complex.force->computePoseEnergies(context, poses);
        REQUIRE(energies.size() == 7);
        for (int p = 0; p < 7; p++) {
            context.setPositions(systemPoses[p]);
            requireClose(energies[p], context.getState(State::Energy).getPotentialEnergy(),
                         AffinityTest::platformName() == "CUDA" ? 1e-5 : 1e-12);
        }
    }
}

TEST_CASE("With periodic boundaries the model sees the complex whole") {
    Complex complex(model("pair.pt"), 8, 3, 9);
    complex.force->setUsesPeriodicBoundaryConditions(true);
    const Vec3 a(4.0, 0, 0), b(0.5, 4.0, 0), c(-0.4, 0.3, 4.0);
    complex.system.setDefaultPeriodicBoxVectors(a, b, c);
    const State reference = evaluate(complex.system, complex.positions);
    std::vector<Vec3> shifted = complex.positions;
    shifted[2] += a - b * 2.0 + c;
    shifted[6] -= c;
    const State moved = evaluate(complex.system, shifted);
    requireClose(moved.getPotentialEnergy(), reference.getPotentialEnergy(), closedFormTolerance());
    for (int i = 0; i < 8; i++)
        requireClose(moved.getForces()[i], reference.getForces()[i], closedFormTolerance());
}

TEST_CASE("Bad models give an OpenMMException that names the problem") {
    SECTION("a missing file") {
        REQUIRE_THROWS_WITH(AffinityForce(model("no_such_model.pt")), Contains("cannot open model file"));
    }
    auto contextFor = [](const std::string& name) {
        Complex complex(model(name), 5, 2);
        VerletIntegrator integrator(0.001);
        Context context(complex.system, integrator, platform());
        context.setPositions(complex.positions);
        context.getState(State::Energy | State::Forces);
    };
    SECTION("a corrupt file") {
        REQUIRE_THROWS_WITH(contextFor("corrupt.pt"), Contains("cannot load the model"));
    }
    SECTION("bytes that are not a model are refused when the Force is made") {
        REQUIRE_THROWS_WITH(AffinityForce::fromModelBytes("garbage, not a TorchScript archive"),
                            Contains("cannot load the model from model bytes"));
        REQUIRE_THROWS_WITH(AffinityForce(model("corrupt.pt")), Contains("cannot load the model"));
    }
    SECTION("a forward with the wrong number of arguments") {
        REQUIRE_THROWS_WITH(contextFor("bad_arity.pt"), Contains("takes 2 arguments"));
    }
    SECTION("a forward argument that is not a Tensor") {
        REQUIRE_THROWS_WITH(contextFor("bad_argument_type.pt"), Contains("has type int; expected Tensor"));
    }
    SECTION("a model returning NaN") {
        REQUIRE_THROWS_WITH(contextFor("nan.pt"), Contains("non-finite energy"));
    }
    SECTION("a model returning one energy per atom") {
        REQUIRE_THROWS_WITH(contextFor("per_atom.pt"), Contains("expected a scalar energy"));
    }
    SECTION("a model that needs atomic numbers but no particles") {
        System system;
        system.addParticle(1.0);
        system.addForce(new AffinityForce(model("harmonic.pt")));
        VerletIntegrator integrator(0.001);
        REQUIRE_THROWS_WITH(Context(system, integrator, platform()), Contains("add the particles"));
    }
}

TEST_CASE("Bad particles and properties give an OpenMMException that names the problem") {
    Complex complex(model("harmonic.pt"), 5, 2);
    VerletIntegrator integrator(0.001);
    SECTION("atomic number 0") {
        REQUIRE_THROWS_WITH(complex.force->addParticle(0, 0, false), Contains("atomic number 0; expected 1-118"));
    }
    SECTION("a system index out of range") {
        complex.force->addParticle(7, 6, false);
        REQUIRE_THROWS_WITH(Context(complex.system, integrator, platform()), Contains("has system index 7"));
    }
    SECTION("a repeated system index") {
        complex.force->addParticle(2, 6, false);
        REQUIRE_THROWS_WITH(Context(complex.system, integrator, platform()), Contains("repeats system index 2"));
    }
    SECTION("an unknown property") {
        REQUIRE_THROWS_WITH(complex.force->setProperty("useCudaGraphs", "true"),
                            Contains("unknown property 'useCudaGraphs'"));
    }
}

TEST_CASE("Non-finite positions give an error and the Context stays usable") {
    Complex complex(model("pair.pt"), 6, 2);
    VerletIntegrator integrator(0.001);
    Context context(complex.system, integrator, platform());
    std::vector<Vec3> bad = complex.positions;
    bad[3][1] = std::nan("");
    context.setPositions(bad);
    // The CPU platform checks positions itself before any force runs; either message will do.
    REQUIRE_THROWS_WITH(context.getState(State::Energy | State::Forces),
                        Contains("non-finite position") || Contains("coordinate is NaN"));
    context.setPositions(complex.positions);
    requireClose(context.getState(State::Energy).getPotentialEnergy(),
                 evaluate(complex.system, complex.positions).getPotentialEnergy(), 1e-12);
}

TEST_CASE("An AffinityForce round-trips through XmlSerializer with its model embedded") {
    Complex complex(model("pair.pt"), 7, 3);
    complex.force->setTemperature(305.0);
    complex.force->setForceGroup(2);
    complex.force->setProperty("poseBatchSize", "4");
    std::stringstream xml;
    XmlSerializer::serialize<System>(&complex.system, "System", xml);
    std::unique_ptr<System> copy(XmlSerializer::deserialize<System>(xml));
    const AffinityForce& restored = dynamic_cast<const AffinityForce&>(copy->getForce(0));
    REQUIRE(restored.getModelBytes() == complex.force->getModelBytes());
    REQUIRE(restored.getTemperature() == 305.0);
    REQUIRE(restored.getForceGroup() == 2);
    REQUIRE(restored.getProperties() == complex.force->getProperties());
    REQUIRE(restored.getAtomicNumbers() == complex.atomicNumbers);
    REQUIRE(restored.getLigandMask() == complex.ligand);
    REQUIRE(evaluate(*copy, complex.positions).getPotentialEnergy() ==
            evaluate(complex.system, complex.positions).getPotentialEnergy());

    SECTION("a truncated model is reported") {
        std::string text = xml.str();
        const size_t model = text.find("model=\"");
        text.erase(model + 200, 400);
        std::stringstream corrupt(text);
        REQUIRE_THROWS_WITH(XmlSerializer::deserialize<System>(corrupt), Contains("truncated or corrupt"));
    }
    SECTION("an unknown version is reported") {
        std::string text = xml.str();
        const size_t version = text.find("version=\"1\"", text.find("<Force"));
        text.replace(version, 11, "version=\"9\"");
        std::stringstream future(text);
        REQUIRE_THROWS_WITH(XmlSerializer::deserialize<System>(future),
                            Contains("unsupported serialization version 9"));
    }
}

TEST_CASE("A model returning an integer tensor is reported") {
    Complex complex(model("integer_energy.pt"), 5, 2);
    VerletIntegrator integrator(0.001);
    Context context(complex.system, integrator, platform());
    context.setPositions(complex.positions);
    REQUIRE_THROWS_WITH(context.getState(State::Energy), Contains("expected a scalar energy"));
}
