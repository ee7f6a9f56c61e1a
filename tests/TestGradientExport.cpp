// SPDX-License-Identifier: MIT
// The gradient export against full autograd over all poses kept in one graph: every
// combination × strategy × {with, without per-pose loss terms} × {with, without readout},
// for N ∈ {1, 2, 7, 64} poses of a two-layer model of about 8,700 parameters (float64).
#include "AffinityForce.h"
#include "GradientExport.h"
#include "TestSupport.h"
#include "openmm/Context.h"
#include "openmm/OpenMMException.h"
#include "openmm/State.h"
#include "openmm/System.h"
#include "openmm/VerletIntegrator.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using AffinityTest::model;
using Catch::Contains;

namespace {

const int ReceptorAtoms = 9, LigandAtoms = 5;

std::vector<int> atomicNumbers() {
    std::vector<int> z;
    const int elements[] = {6, 7, 8, 6, 16, 1};
    for (int i = 0; i < ReceptorAtoms + LigandAtoms; i++)
        z.push_back(elements[i % 6]);
    return z;
}

std::vector<bool> ligandMask() {
    std::vector<bool> mask;
    for (int i = 0; i < ReceptorAtoms + LigandAtoms; i++)
        mask.push_back(i >= ReceptorAtoms);
    return mask;
}

// Poses that share a receptor and move the ligand around it.
PoseEnsemble makePoses(int count, unsigned seed = 17) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> box(0.0, 1.2);
    std::normal_distribution<double> shift(0.0, 0.15);
    std::vector<OpenMM::Vec3> base;
    for (int i = 0; i < ReceptorAtoms + LigandAtoms; i++)
        base.push_back(OpenMM::Vec3(box(rng), box(rng), box(rng)));
    PoseEnsemble poses(atomicNumbers(), ligandMask());
    for (int p = 0; p < count; p++) {
        std::vector<OpenMM::Vec3> pose = base;
        const OpenMM::Vec3 offset(shift(rng), shift(rng), shift(rng));
        for (int i = ReceptorAtoms; i < ReceptorAtoms + LigandAtoms; i++)
            pose[i] += offset + OpenMM::Vec3(shift(rng), shift(rng), shift(rng)) * 0.3;
        poses.addPose(pose);
    }
    return poses;
}

AffinityScorer makeScorer(const std::string& file = "mlp_f64.pt") {
    return AffinityScorer(AffinityModel::fromFile(model(file)), atomicNumbers(), ligandMask(), torch::kCPU,
                          torch::kFloat64);
}

void zeroGradients(AffinityScorer& scorer) {
    for (auto& [name, p] : scorer.getModel().trainableParameters())
        if (p.grad().defined())
            p.mutable_grad().zero_();
}

// The reference: all poses in one autograd graph, the combination written in LibTorch.
struct FullAutograd {
    double loss;
    std::vector<torch::Tensor> parameterGradients;
    torch::Tensor positionGradients; // dΔG/dx for every pose
};

FullAutograd fullAutograd(AffinityScorer& scorer, const PoseEnsemble& poses, const std::string& kind,
                          const AffinityLoss& loss) {
    const double beta = betaForTemperature(scorer.getTemperature());
    torch::Tensor x = scorer.uploadPoses(poses, 0, poses.getNumPoses()).requires_grad_(true);
    torch::Tensor g = scorer.energies(x);
    torch::Tensor dg;
    if (kind == "mean")
        dg = g.mean();
    else if (kind == "max")
        dg = -torch::logsumexp(-1000.0 * beta * g, 0) / (1000.0 * beta);
    else
        dg = (torch::softmax(-beta * g, 0) * g).sum();
    torch::Tensor r = dg;
    const Readout& readout = loss.getReadout();
    if (readout.getKind() != Readout::None)
        r = readout.apply(0.0, beta) + readout.derivative(beta) * dg; // the readouts are affine in ΔG
    torch::Tensor l = (r - loss.getTarget()).pow(2);
    if (loss.hasPoseTerms())
        l = l + loss.getPoseWeight() * (g - torch::tensor(loss.getPoseTargets(), torch::kFloat64)).pow(2).sum();
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : scorer.getModel().trainableParameters())
        params.push_back(p);
    FullAutograd result;
    result.loss = l.item<double>();
    result.parameterGradients = torch::autograd::grad({l}, params, {}, true);
    result.positionGradients = torch::autograd::grad({dg}, {x})[0];
    return result;
}

void requireRelativelyClose(const torch::Tensor& actual, const torch::Tensor& expected, double tolerance) {
    const double scale = std::max(expected.abs().max().item<double>(), 1e-300);
    const double error = (actual.to(torch::kFloat64) - expected).abs().max().item<double>();
    INFO("max error " << error << " against max magnitude " << scale);
    REQUIRE(error <= tolerance * scale);
}

} // namespace

TEST_CASE("combinedGradient equals full autograd over all poses for every combination and strategy") {
    AffinityScorer scorer = makeScorer();
    REQUIRE(scorer.getModel().trainableParameters().size() >= 8);
    // Batches of 5: up to 5 poses are one batch, which two-pass evaluates once.
    for (int count : {1, 2, 5, 7, 64}) {
        PoseEnsemble poses = makePoses(count);
        const std::vector<double> energies = scorer.poseEnergies(poses);
        for (const char* kind : {"mean", "max", "boltzmann"})
            for (GradientStrategy strategy :
                 {GradientStrategy::StoreAll, GradientStrategy::TwoPass, GradientStrategy::OnePass})
                for (bool poseTerms : {false, true})
                    for (bool readout : {false, true}) {
                        INFO(count << " poses, " << kind << ", strategy " << (int)strategy << ", pose terms "
                                   << poseTerms << ", readout " << readout);
                        AffinityLoss loss(readout ? 5.5 : energies[0] - 3.0,
                                          readout ? Readout(Readout::PIC50, 1.0, 2.0) : Readout());
                        if (poseTerms) {
                            std::vector<double> targets;
                            for (size_t n = 0; n < energies.size(); n++)
                                targets.push_back(energies[n] + 0.7 * std::sin(1.0 + n));
                            loss.setPoseTargets(targets, 0.25);
                        }
                        std::unique_ptr<Combination> combination = Combination::fromName(kind);
                        zeroGradients(scorer);
                        CombinedGradientOptions options;
                        options.strategy = strategy;
                        options.batchSize = 5;
                        options.positionGradients = true;
                        CombinedGradientResult result = combinedGradient(scorer, poses, *combination, loss, options);
                        FullAutograd reference = fullAutograd(scorer, poses, kind, loss);
                        REQUIRE(std::abs(result.loss - reference.loss) <= 1e-9 * std::max(1.0, reference.loss));
                        auto params = scorer.getModel().trainableParameters();
                        for (size_t i = 0; i < params.size(); i++) {
                            INFO("parameter " << params[i].first);
                            requireRelativelyClose(params[i].second.grad(), reference.parameterGradients[i], 1e-9);
                        }
                        requireRelativelyClose(result.positionGradients, reference.positionGradients, 1e-9);
                    }
    }
}

TEST_CASE("Gradients accumulate into .grad as backward() does") {
    AffinityScorer scorer = makeScorer();
    PoseEnsemble poses = makePoses(4);
    AffinityLoss loss(-10.0);
    zeroGradients(scorer);
    combinedGradient(scorer, poses, BoltzmannCombination(), loss);
    auto params = scorer.getModel().trainableParameters();
    std::vector<torch::Tensor> once;
    for (auto& [name, p] : params)
        once.push_back(p.grad().clone());
    combinedGradient(scorer, poses, BoltzmannCombination(), loss);
    for (size_t i = 0; i < params.size(); i++)
        requireRelativelyClose(params[i].second.grad(), 2.0 * once[i], 1e-14);
}

TEST_CASE("forEachPoseGradient hands each pose's energy and gradients, equal to autograd of that pose") {
    AffinityScorer scorer = makeScorer();
    PoseEnsemble poses = makePoses(6);
    std::vector<std::string> names;
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : scorer.getModel().trainableParameters()) {
        names.push_back(name);
        params.push_back(p);
    }
    // One pose per pass, and passes of 4 poses: the second pass covers poses 2 to 5, of which
    // 2 and 3 were handed over already.
    const int batch = GENERATE(1, 4);
    INFO("batch " << batch);
    std::vector<torch::Tensor> handed;
    int seen = 0;
    forEachPoseGradient(
        scorer, poses,
        [&](const PoseGradient& pose) {
            REQUIRE(pose.pose == seen++);
            torch::Tensor x = scorer.uploadPoses(poses, pose.pose, 1).requires_grad_(true);
            torch::Tensor e = scorer.energies(x);
            std::vector<torch::Tensor> inputs = params;
            inputs.push_back(x);
            auto expected = torch::autograd::grad({e}, inputs);
            REQUIRE(std::abs(pose.energy - e.item<double>()) <= 1e-12 * std::max(1.0, std::abs(pose.energy)));
            REQUIRE(pose.parameterGradients.size() == params.size());
            for (size_t i = 0; i < params.size(); i++) {
                REQUIRE(pose.parameterGradients[i].first == names[i]);
                requireRelativelyClose(pose.parameterGradients[i].second, expected[i], 1e-12);
            }
            requireRelativelyClose(pose.positionGradient, expected.back()[0], 1e-12);
            handed.push_back(pose.parameterGradients[0].second);
        },
        true, batch);
    REQUIRE(seen == 6);
    // What the sink got is its own: later poses did not overwrite it.
    for (int n = 0; n < 6; n++) {
        torch::Tensor x = scorer.uploadPoses(poses, n, 1);
        const torch::Tensor expected = torch::autograd::grad({scorer.energies(x)}, {params[0]})[0];
        requireRelativelyClose(handed[n], expected, 1e-12);
    }
}

TEST_CASE("Batched and unbatched per-pose energies agree") {
    AffinityScorer scorer = makeScorer();
    PoseEnsemble poses = makePoses(23);
    const std::vector<double> one = scorer.poseEnergies(poses, 1);
    for (int batch : {4, 23, 0}) {
        const std::vector<double> batched = scorer.poseEnergies(poses, batch);
        for (int n = 0; n < 23; n++)
            REQUIRE(std::abs(batched[n] - one[n]) <= 1e-12 * std::max(1.0, std::abs(one[n])));
    }
}

TEST_CASE("A frozen model keeps its energies and position gradients and has no trainable parameters") {
    // What a Context's model is made: only the positions' gradient is asked for, as for forces.
    const std::string file = GENERATE(as<std::string>{}, "mlp_f64.pt", "schnet_tab_f64.pt");
    INFO(file);
    PoseEnsemble poses = makePoses(5);
    AffinityScorer trained = makeScorer(file), frozen = makeScorer(file);
    frozen.getModel().freezeParameters();
    REQUIRE(frozen.getModel().trainableParameters().empty());
    REQUIRE(!trained.getModel().trainableParameters().empty()); // the file's own model is untouched
    // The SchNet is told, and reuses its filter tables; the MLP has no such attribute.
    torch::jit::Module& module = frozen.getModel().getModule();
    REQUIRE(module.hasattr("parameters_frozen") == (file == "schnet_tab_f64.pt"));
    if (module.hasattr("parameters_frozen"))
        REQUIRE(module.attr("parameters_frozen").toBool());
    for (int n = 0; n < poses.getNumPoses(); n++) {
        torch::Tensor x = trained.uploadPoses(poses, n, 1).requires_grad_(true);
        const torch::Tensor e = trained.energies(x), f = frozen.energies(x);
        REQUIRE(f.requires_grad()); // still differentiable through the positions
        requireRelativelyClose(f, e, 1e-12);
        requireRelativelyClose(torch::autograd::grad({f.sum()}, {x})[0], torch::autograd::grad({e.sum()}, {x})[0],
                               1e-12);
    }
}

TEST_CASE("Bad input gives a clear OpenMMException and leaves the parameters' gradients as they were") {
    AffinityScorer scorer = makeScorer("nan_beyond.pt");
    auto params = scorer.getModel().trainableParameters();
    REQUIRE(params.size() == 1);
    torch::Tensor& weight = params[0].second;
    weight.mutable_grad() = torch::full_like(weight, 7.0);
    auto unchanged = [&] { REQUIRE(torch::equal(weight.grad(), torch::full_like(weight, 7.0))); };
    AffinityLoss loss(-5.0);
    {
        CombinedGradientOptions options;
        options.strategy = static_cast<GradientStrategy>(GENERATE(0, 1, 2));
        SECTION("an empty pose set") {
            PoseEnsemble empty(atomicNumbers(), ligandMask());
            REQUIRE_THROWS_WITH(combinedGradient(scorer, empty, MeanCombination(), loss, options),
                                Contains("the pose ensemble is empty"));
            unchanged();
        }
        SECTION("a pose with the wrong number of atoms") {
            PoseEnsemble poses(std::vector<int>(3, 6), std::vector<bool>(3, true));
            poses.addPose({OpenMM::Vec3(), OpenMM::Vec3(1, 0, 0), OpenMM::Vec3(0, 1, 0)});
            REQUIRE_THROWS_WITH(combinedGradient(scorer, poses, MeanCombination(), loss, options),
                                Contains("the poses have 3 atoms; expected 14"));
            unchanged();
        }
        SECTION("NaN positions") {
            PoseEnsemble poses = makePoses(4);
            std::vector<double> flat = poses.getPositions();
            flat[3 * 14 * 2 + 5] = NAN;
            PoseEnsemble bad(atomicNumbers(), ligandMask());
            bad.addPoses(flat.data(), 4);
            REQUIRE_THROWS_WITH(combinedGradient(scorer, bad, MeanCombination(), loss, options),
                                Contains("pose 2, atom 1 has a non-finite coordinate"));
            unchanged();
        }
        SECTION("a model output NaN part-way through the poses") {
            PoseEnsemble poses = makePoses(5);
            std::vector<double> flat = poses.getPositions();
            flat[3 * 14 * 3] = 6.0; // pose 3 reaches beyond 5 nm, where the model returns NaN
            PoseEnsemble bad(atomicNumbers(), ligandMask());
            bad.addPoses(flat.data(), 5);
            REQUIRE_THROWS_WITH(combinedGradient(scorer, bad, BoltzmannCombination(), loss, options),
                                Contains("non-finite energy"));
            unchanged();
        }
        SECTION("finite energies with a non-finite parameter gradient") {
            // torch.where's backward multiplies the NaN branch's derivative by zero: NaN.
            REQUIRE_THROWS_WITH(combinedGradient(scorer, makePoses(4), MeanCombination(), loss, options),
                                Contains("the gradient of parameter 'weight' is not finite; no gradient was written"));
            unchanged();
        }
        SECTION("a NaN loss target") {
            PoseEnsemble poses = makePoses(3);
            REQUIRE_THROWS_WITH(combinedGradient(scorer, poses, MeanCombination(), AffinityLoss(NAN), options),
                                Contains("the target is nan"));
            unchanged();
        }
    }
}

TEST_CASE("A model defined from C++ with torch::jit::Module::define is evaluated like a scripted one") {
    torch::jit::Module module("HarmonicFromCpp");
    module.register_buffer("center", torch::tensor({1.0, 1.5, 2.0}, torch::kFloat64));
    module.define(R"(
def forward(self, positions, atomic_numbers, ligand_mask):
    d2 = ((positions - self.center) ** 2).sum(-1)
    return 125.0 * (d2 * ligand_mask.to(d2.dtype)).sum(-1)
)");
    std::stringstream bytes;
    module.save(bytes);
    AffinityModel wrapped(module, "Module::define");
    REQUIRE(wrapped.getContract() == ModelContract::PositionsAtomicNumbersLigandMask);
    AffinityScorer scorer(wrapped, atomicNumbers(), ligandMask(), torch::kCPU, torch::kFloat64);
    PoseEnsemble poses = makePoses(3);
    const std::vector<double> energies = scorer.poseEnergies(poses);
    for (int p = 0; p < 3; p++) {
        double expected = 0.0;
        const double* x = poses.getPosePositions(p);
        for (int i = ReceptorAtoms; i < ReceptorAtoms + LigandAtoms; i++) {
            const double dx = x[3 * i] - 1.0, dy = x[3 * i + 1] - 1.5, dz = x[3 * i + 2] - 2.0;
            expected += 125.0 * (dx * dx + dy * dy + dz * dz);
        }
        REQUIRE(std::abs(energies[p] - expected) <= 1e-12 * expected);
    }
    SECTION("and, saved to bytes, by an AffinityForce in a Context") {
        OpenMM::System system;
        std::unique_ptr<AffinityForce> owned(AffinityForce::fromModelBytes(bytes.str()));
        AffinityForce* force = owned.release();
        std::vector<OpenMM::Vec3> positions;
        const double* x = poses.getPosePositions(1);
        for (int i = 0; i < poses.getNumAtoms(); i++) {
            system.addParticle(1.0);
            force->addParticle(i, poses.getAtomicNumbers()[i], poses.getLigandMask()[i]);
            positions.push_back(OpenMM::Vec3(x[3 * i], x[3 * i + 1], x[3 * i + 2]));
        }
        system.addForce(force);
        OpenMM::VerletIntegrator integrator(0.001);
        OpenMM::Context context(system, integrator, AffinityTest::platform());
        context.setPositions(positions);
        const double energy = context.getState(OpenMM::State::Energy).getPotentialEnergy();
        REQUIRE(std::abs(energy - energies[1]) <= 1e-12 * energies[1]);
    }
}
