// SPDX-License-Identifier: MIT
// The other kinds of model that OpenMM-Torch's TorchForce runs, on the platform named by
// --platform: models that output forces, global parameters with energy derivatives, the
// periodic box, optional arguments, and a model that takes every kind of extra argument;
// energies, forces and derivatives against closed forms and finite differences, with CUDA
// graphs on and off (the property is ignored off CUDA). Also properties, XML and bad input.
// The models are written by tests/models/make_test_models.py; their closed forms are restated here.
#include "AffinityForce.h"
#include "AffinityProperties.h"
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
using Catch::Contains;

namespace {

const Vec3 Center = AffinityTest::HarmonicCenter;
const double Spring = AffinityTest::HarmonicSpring;
const Vec3 ForceOffset(0.5, -0.25, 1.0);
// A triclinic box in OpenMM's reduced form.
const Vec3 BoxA(3.0, 0, 0), BoxB(0.4, 3.2, 0), BoxC(-0.5, 0.3, 3.5);

double tolerance() {
    return AffinityTest::platformName() == "CUDA" ? 1e-5 : 1e-10;
}

void requireClose(double actual, double expected, double tol = tolerance()) {
    INFO("actual " << actual << ", expected " << expected);
    REQUIRE(std::abs(actual - expected) <= tol * std::max(1.0, std::abs(expected)));
}

void requireClose(const Vec3& actual, const Vec3& expected, double tol = tolerance()) {
    for (int k = 0; k < 3; k++)
        requireClose(actual[k], expected[k], tol);
}

// A System of `count` particles, some outside the box (so that wrapping them would show), and
// an AffinityForce without particles: the model sees all of them, as a TorchForce's does.
struct TorchSystem {
    System system;
    AffinityForce* force;
    std::vector<Vec3> positions;

    TorchSystem(const std::string& modelName, int count = 6, unsigned seed = 3) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> uniform(-1.0, 4.0);
        for (int i = 0; i < count; i++) {
            system.addParticle(12.0);
            positions.push_back(Vec3(uniform(rng), uniform(rng), uniform(rng)));
        }
        positions[0] += BoxA * 2.0; // far outside the box
        system.setDefaultPeriodicBoxVectors(BoxA, BoxB, BoxC);
        force = new AffinityForce(AffinityTest::model(modelName));
        system.addForce(force);
    }
    double sumSquares() const {
        double sum = 0;
        for (const Vec3& x : positions)
            sum += (x - Center).dot(x - Center);
        return sum;
    }
};

// A Context on the platform under test with CUDA graphs on or off (captured after one warm-up).
struct TestContext {
    VerletIntegrator integrator{0.001};
    std::unique_ptr<Context> context;
    TestContext(TorchSystem& s, bool graphs) {
        s.force->setProperty("useCUDAGraphs", graphs ? "true" : "false");
        s.force->setProperty("CUDAGraphWarmupSteps", "1");
        context = std::make_unique<Context>(s.system, integrator, AffinityTest::platform());
        context->setPositions(s.positions);
    }
    State state() {
        return context->getState(State::Energy | State::Forces | State::ParameterDerivatives);
    }
    double energy(const std::vector<Vec3>& positions) {
        context->setPositions(positions);
        return context->getState(State::Energy).getPotentialEnergy();
    }
};

// -dE/dx of particle i, coordinate k, by a central difference.
double finiteDifferenceForce(TestContext& c, std::vector<Vec3> positions, int i, int k) {
    const double h = 1e-5;
    positions[i][k] += h;
    const double plus = c.energy(positions);
    positions[i][k] -= 2 * h;
    const double minus = c.energy(positions);
    return -(plus - minus) / (2 * h);
}

// Evaluations repeated so that, on CUDA with graphs, the eager call, the capture and a replay
// are all checked.
const int Repeats = 3;

} // namespace

TEST_CASE("A model that outputs forces has them applied as returned, without autograd") {
    const bool graphs = GENERATE(false, true);
    TorchSystem s("forces_output.pt");
    s.force->setOutputsForces(true);
    REQUIRE(s.force->getOutputsForces());
    TestContext c(s, graphs);
    for (int repeat = 0; repeat < Repeats; repeat++) {
        const State state = c.state();
        requireClose(state.getPotentialEnergy(), 0.5 * Spring * s.sumSquares());
        for (size_t i = 0; i < s.positions.size(); i++)
            requireClose(state.getForces()[i], -(s.positions[i] - Center) * Spring + ForceOffset);
    }
    SECTION("and scored in pose batches by its energy") {
        PoseEnsemble poses(std::vector<int>(s.positions.size(), 6), std::vector<bool>(s.positions.size(), false));
        poses.addPose(s.positions);
        std::vector<Vec3> moved = s.positions;
        moved[2] += Vec3(0.1, -0.2, 0.3);
        poses.addPose(moved);
        const std::vector<double> energies = s.force->computePoseEnergies(*c.context, poses);
        requireClose(energies[0], 0.5 * Spring * s.sumSquares());
        requireClose(energies[1], c.energy(moved));
    }
}

TEST_CASE("Global parameters reach the model and give energy derivatives") {
    const bool graphs = GENERATE(false, true);
    TorchSystem s("global_parameters.pt");
    REQUIRE(s.force->addGlobalParameter("k", Spring) == 0);
    REQUIRE(s.force->addGlobalParameter("s", 0.7) == 1);
    REQUIRE(s.force->addEnergyParameterDerivative("s") == 0);
    REQUIRE(s.force->addEnergyParameterDerivative("k") == 1);
    REQUIRE(s.force->getNumGlobalParameters() == 2);
    REQUIRE(s.force->getGlobalParameterName(1) == "s");
    REQUIRE(s.force->getGlobalParameterDefaultValue(1) == 0.7);
    REQUIRE(s.force->getNumEnergyParameterDerivatives() == 2);
    REQUIRE(s.force->getEnergyParameterDerivativeName(1) == "k");
    TestContext c(s, graphs);
    double sumX = 0;
    for (const Vec3& x : s.positions)
        sumX += x[0];
    // E = k/2 Σ|x−c|² + s² Σ x_i0
    auto check = [&](double k, double sValue) {
        for (int repeat = 0; repeat < Repeats; repeat++) {
            const State state = c.state();
            requireClose(state.getPotentialEnergy(), 0.5 * k * s.sumSquares() + sValue * sValue * sumX);
            for (size_t i = 0; i < s.positions.size(); i++)
                requireClose(state.getForces()[i], -(s.positions[i] - Center) * k - Vec3(sValue * sValue, 0, 0));
            const std::map<std::string, double> derivatives = state.getEnergyParameterDerivatives();
            REQUIRE(derivatives.size() == 2);
            requireClose(derivatives.at("k"), 0.5 * s.sumSquares());
            requireClose(derivatives.at("s"), 2 * sValue * sumX);
        }
    };
    check(Spring, 0.7);
    SECTION("Context::setParameter changes them") {
        c.context->setParameter("k", 100.0);
        c.context->setParameter("s", -1.3);
        check(100.0, -1.3);
    }
    SECTION("derivatives and forces equal finite differences") {
        const State state = c.state();
        // E is linear in k, so a central difference is exact for any step: in single precision
        // (CUDA) a large one keeps the rounding of the two energies small against their difference.
        const bool single = AffinityTest::platformName() == "CUDA";
        const double h = single ? 1.0 : 1e-5;
        c.context->setParameter("k", Spring + h);
        const double plus = c.energy(s.positions);
        c.context->setParameter("k", Spring - h);
        const double minus = c.energy(s.positions);
        c.context->setParameter("k", Spring);
        requireClose(state.getEnergyParameterDerivatives().at("k"), (plus - minus) / (2 * h), single ? 1e-4 : 1e-6);
        if (AffinityTest::platformName() != "CUDA") // finite differences need double precision
            for (int k = 0; k < 3; k++)
                requireClose(state.getForces()[3][k], finiteDifferenceForce(c, s.positions, 3, k), 1e-6);
    }
    SECTION("pose batches use the Context's values") {
        c.context->setParameter("k", 40.0);
        PoseEnsemble poses(std::vector<int>(s.positions.size(), 6), std::vector<bool>(s.positions.size(), false));
        poses.addPose(s.positions);
        requireClose(s.force->computePoseEnergies(*c.context, poses)[0], 0.5 * 40.0 * s.sumSquares() + 0.49 * sumX);
    }
}

TEST_CASE("A periodic model that takes the box gets it, with the positions as OpenMM holds them") {
    const bool graphs = GENERATE(false, true);
    TorchSystem s("box.pt");
    s.force->setUsesPeriodicBoundaryConditions(true);
    TestContext c(s, graphs);
    // E = k/2 Σ|x−c|² / a_x + b_y c_z, on unwrapped positions
    for (int repeat = 0; repeat < Repeats; repeat++) {
        const State state = c.state();
        requireClose(state.getPotentialEnergy(), 0.5 * Spring * s.sumSquares() / BoxA[0] + BoxB[1] * BoxC[2]);
        for (size_t i = 0; i < s.positions.size(); i++)
            requireClose(state.getForces()[i], -(s.positions[i] - Center) * (Spring / BoxA[0]));
    }
    SECTION("a new box reaches the model") {
        const Vec3 a(4.0, 0, 0), b(0, 3.0, 0), cVector(0, 0, 2.5);
        c.context->setPeriodicBoxVectors(a, b, cVector);
        for (int repeat = 0; repeat < Repeats; repeat++)
            requireClose(c.state().getPotentialEnergy(), 0.5 * Spring * s.sumSquares() / 4.0 + 3.0 * 2.5);
    }
    SECTION("forces equal finite differences") {
        if (AffinityTest::platformName() != "CUDA") {
            const State state = c.state();
            for (int k = 0; k < 3; k++)
                requireClose(state.getForces()[0][k], finiteDifferenceForce(c, s.positions, 0, k), 1e-6);
        }
    }
}

TEST_CASE("An optional box argument is left out unless the force is periodic") {
    const bool periodic = GENERATE(false, true);
    TorchSystem s("optional_box.pt");
    s.force->setUsesPeriodicBoundaryConditions(periodic);
    TestContext c(s, false);
    const State state = c.state();
    requireClose(state.getPotentialEnergy(), 0.5 * Spring * s.sumSquares() + (periodic ? 10.0 * BoxA[0] : 0.0));
    for (size_t i = 0; i < s.positions.size(); i++)
        requireClose(state.getForces()[i], -(s.positions[i] - Center) * Spring);
}

TEST_CASE("A model that takes the box, a global parameter and an optional one, and outputs forces") {
    const bool graphs = GENERATE(false, true);
    const bool withScale = GENERATE(false, true);
    TorchSystem s("every_argument.pt");
    s.force->setUsesPeriodicBoundaryConditions(true);
    s.force->setOutputsForces(true);
    s.force->addGlobalParameter("k", 120.0);
    if (withScale)
        s.force->addGlobalParameter("scale", 1.5);
    s.force->addEnergyParameterDerivative("k");
    TestContext c(s, graphs);
    // E = (scale or 1) k/2 Σ|x−c|² / a_x, F = −dE/dx
    const double factor = (withScale ? 1.5 : 1.0) * 120.0 / BoxA[0];
    for (int repeat = 0; repeat < Repeats; repeat++) {
        const State state = c.state();
        requireClose(state.getPotentialEnergy(), 0.5 * factor * s.sumSquares());
        for (size_t i = 0; i < s.positions.size(); i++)
            requireClose(state.getForces()[i], -(s.positions[i] - Center) * factor);
        requireClose(state.getEnergyParameterDerivatives().at("k"), 0.5 * factor / 120.0 * s.sumSquares());
    }
}

TEST_CASE("Properties list every default; an unknown name is rejected at once") {
    TorchSystem s("harmonic_positions_only.pt");
    const std::map<std::string, std::string> expected{{"CUDAGraphWarmupSteps", "10"},
                                                      {"matmulPrecision", "float32"},
                                                      {"poseBatchSize", "0"},
                                                      {"poseMemoryBudgetMiB", "1024"},
                                                      {"useCUDAGraphs", "false"}};
    REQUIRE(s.force->getProperties() == expected);
    s.force->setProperty("poseBatchSize", "3");
    REQUIRE(s.force->getProperties().at("poseBatchSize") == "3");
    REQUIRE_THROWS_WITH(s.force->setProperty("useCudaGraph", "true"), Contains("unknown property 'useCudaGraph'") &&
                                                                          Contains("useCUDAGraphs") &&
                                                                          Contains("poseMemoryBudgetMiB"));
    REQUIRE(s.force->getProperties().count("useCudaGraph") == 0);
    s.force->setProperty("matmulPrecision", "tf32");
    REQUIRE(s.force->getProperties().at("matmulPrecision") == "tf32");
    REQUIRE(AffinityProperties::parse(s.force->getProperties()).matmulPrecision == MatmulPrecision::TF32);
    REQUIRE_THROWS_WITH(AffinityProperties::parse({{"matmulPrecision", "bf16"}}),
                        Contains("matmulPrecision is 'bf16'; expected float32 or tf32"));
    REQUIRE_THROWS_WITH(AffinityForce(AffinityTest::model("harmonic_positions_only.pt"), {{"Threads", "2"}}),
                        Contains("unknown property 'Threads'"));
}

TEST_CASE("Global parameters, derivatives and flags round-trip through XmlSerializer") {
    TorchSystem s("every_argument.pt");
    s.force->setUsesPeriodicBoundaryConditions(true);
    s.force->setOutputsForces(true);
    s.force->addGlobalParameter("k", 120.0);
    s.force->addGlobalParameter("scale", 0.25);
    s.force->addEnergyParameterDerivative("k");
    s.force->setProperty("poseBatchSize", "2");
    std::stringstream xml;
    XmlSerializer::serialize<System>(&s.system, "System", xml);
    REQUIRE_THAT(xml.str(), Contains("version=\"2\""));
    std::unique_ptr<System> copy(XmlSerializer::deserialize<System>(xml));
    const AffinityForce& restored = dynamic_cast<const AffinityForce&>(copy->getForce(0));
    REQUIRE(restored.getOutputsForces());
    REQUIRE(restored.usesPeriodicBoundaryConditions());
    REQUIRE(restored.getNumGlobalParameters() == 2);
    REQUIRE(restored.getGlobalParameterName(1) == "scale");
    REQUIRE(restored.getGlobalParameterDefaultValue(1) == 0.25);
    REQUIRE(restored.getNumEnergyParameterDerivatives() == 1);
    REQUIRE(restored.getEnergyParameterDerivativeName(0) == "k");
    REQUIRE(restored.getProperties() == s.force->getProperties());
    VerletIntegrator i1(0.001), i2(0.001);
    Context original(s.system, i1, AffinityTest::platform()), restoredContext(*copy, i2, AffinityTest::platform());
    original.setPositions(s.positions);
    restoredContext.setPositions(s.positions);
    const State a = original.getState(State::Energy | State::ParameterDerivatives);
    const State b = restoredContext.getState(State::Energy | State::ParameterDerivatives);
    REQUIRE(a.getPotentialEnergy() == b.getPotentialEnergy());
    REQUIRE(a.getEnergyParameterDerivatives() == b.getEnergyParameterDerivatives());

    SECTION("and a force without them is written as version 1, which is still read") {
        TorchSystem plain("harmonic_positions_only.pt");
        std::stringstream v1;
        XmlSerializer::serialize<System>(&plain.system, "System", v1);
        REQUIRE_THAT(v1.str(), !Contains("GlobalParameters") && !Contains("version=\"2\""));
        std::unique_ptr<System> read(XmlSerializer::deserialize<System>(v1));
        const AffinityForce& force = dynamic_cast<const AffinityForce&>(read->getForce(0));
        REQUIRE(force.getNumGlobalParameters() == 0);
        REQUIRE_FALSE(force.getOutputsForces());
    }
}

TEST_CASE("Bad TorchForce-style input gives a clear error and leaves the Context usable") {
    VerletIntegrator integrator(0.001);
    auto contextFor = [&](TorchSystem& s) { Context context(s.system, integrator, AffinityTest::platform()); };
    SECTION("a model returning a tuple of the wrong length") {
        TorchSystem s("wrong_tuple_length.pt");
        s.force->setOutputsForces(true);
        REQUIRE_THROWS_WITH(contextFor(s), Contains("must return (energy, forces)"));
    }
    SECTION("a model returning (energy, forces) without setOutputsForces") {
        TorchSystem s("forces_output.pt");
        REQUIRE_THROWS_WITH(contextFor(s), Contains("must return one Tensor") && Contains("setOutputsForces(true)"));
    }
    SECTION("forces of the wrong shape") {
        TorchSystem s("wrong_forces_shape.pt");
        s.force->setOutputsForces(true);
        Context context(s.system, integrator, AffinityTest::platform());
        std::vector<Vec3> far = s.positions;
        far[1] = Vec3(60.0, 0, 0);
        context.setPositions(far);
        REQUIRE_THROWS_WITH(context.getState(State::Forces), Contains("expected forces shaped like the positions"));
        context.setPositions(s.positions);
        const State state = context.getState(State::Energy | State::Forces);
        double sum = 0;
        for (const Vec3& x : s.positions)
            sum += x[0] + x[1] + x[2];
        requireClose(state.getPotentialEnergy(), sum);
        requireClose(state.getForces()[2], Vec3(-1, -1, -1));
    }
    SECTION("a global parameter the model does not take") {
        TorchSystem s("harmonic_positions_only.pt");
        s.force->addGlobalParameter("k", 1.0);
        REQUIRE_THROWS_WITH(contextFor(s), Contains("takes 1 argument (") && Contains("positions, k") &&
                                               Contains("global parameters that forward does not take"));
    }
    SECTION("a model that takes the box in a non-periodic System") {
        TorchSystem s("box.pt");
        REQUIRE_THROWS_WITH(contextFor(s), Contains("setUsesPeriodicBoundaryConditions(true)"));
        s.force->setUsesPeriodicBoundaryConditions(true);
        REQUIRE_NOTHROW(contextFor(s)); // the same System, once fixed, makes a Context
    }
    SECTION("a derivative of a parameter that is not a global parameter") {
        TorchSystem s("global_parameters.pt");
        s.force->addGlobalParameter("k", 1.0);
        s.force->addGlobalParameter("s", 1.0);
        s.force->addEnergyParameterDerivative("q");
        REQUIRE_THROWS_WITH(contextFor(s), Contains("derivative 'q' is not a global parameter") && Contains("k, s"));
    }
    SECTION("a global parameter index out of range") {
        TorchSystem s("global_parameters.pt");
        REQUIRE_THROWS_WITH(s.force->getGlobalParameterName(0), Contains("index 0 is out of range"));
    }
}
