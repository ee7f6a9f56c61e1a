// SPDX-License-Identifier: MIT
// The CUDA platform against the Reference platform and the CPU: energies and forces in each
// precision, a 1,000-step Langevin run with Reference spot checks, CUDA graphs on and off,
// pose scoring, the combined gradient on the GPU, and TF32 matrix products against float64.
// Run with --platform CUDA; where no CUDA platform is present the program exits 77 (skipped)
// with the reason printed.
#include "AffinityForce.h"
#include "DeviceMemory.h"
#include "GradientExport.h"
#include "PoseEnsemble.h"
#include "TestSupport.h"
#include "openmm/Context.h"
#include "openmm/LangevinMiddleIntegrator.h"
#include "openmm/Platform.h"
#include "openmm/State.h"
#include "openmm/System.h"
#include "openmm/VerletIntegrator.h"
#include <ATen/Context.h>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <random>

using namespace AffinityPlugin;
using namespace OpenMM;
using AffinityTest::model;
using Catch::Contains;

namespace {

struct Complex {
    System system;
    AffinityForce* force;
    std::vector<Vec3> positions;
};

// A pocket of receptor atoms on a jittered grid and a ligand in its middle.
Complex makeComplex(const std::string& modelFile, const std::map<std::string, std::string>& properties = {}) {
    Complex c;
    c.force = new AffinityForce(modelFile, properties);
    std::mt19937 rng(3);
    std::normal_distribution<double> jitter(0.0, 0.02);
    const int elements[] = {6, 7, 8, 6, 16};
    int index = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++, index++) {
                c.system.addParticle(0.0); // the receptor is held fixed
                c.positions.push_back(Vec3(0.35 * i + jitter(rng), 0.35 * j + jitter(rng), 0.7 * k + jitter(rng)));
                c.force->addParticle(index, elements[index % 5], false);
            }
    for (int l = 0; l < 6; l++, index++) {
        c.system.addParticle(12.0);
        const double angle = M_PI / 3 * l;
        c.positions.push_back(Vec3(0.52 + 0.14 * std::cos(angle), 0.52 + 0.14 * std::sin(angle), 0.35));
        c.force->addParticle(index, l == 0 ? 7 : 6, true);
    }
    c.system.addForce(c.force);
    return c;
}

// Poses of `atoms` atoms (the last 6 the ligand) placed at random in a cube of side `side` nm.
PoseEnsemble randomPoses(int count, unsigned seed, int atoms = 20, double side = 1.2) {
    std::vector<int> z;
    std::vector<bool> mask;
    for (int i = 0; i < atoms; i++) {
        z.push_back(i % 3 == 0 ? 8 : 6);
        mask.push_back(i >= atoms - 6);
    }
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> box(0.0, side);
    PoseEnsemble poses(z, mask);
    for (int p = 0; p < count; p++) {
        std::vector<Vec3> pose;
        for (int i = 0; i < atoms; i++)
            pose.push_back(Vec3(box(rng), box(rng), box(rng)));
        poses.addPose(pose);
    }
    return poses;
}

// One model file's scorers for a set of poses: on the CPU, and on CUDA with graphs and eagerly.
struct ScorersOf {
    AffinityScorer cpu, graphs, eager;

    ScorersOf(const std::string& file, const PoseEnsemble& poses, torch::ScalarType dtype)
        : cpu(AffinityModel::fromFile(model(file)), poses.getAtomicNumbers(), poses.getLigandMask(), torch::kCPU,
              dtype),
          graphs(AffinityModel::fromFile(model(file)), poses.getAtomicNumbers(), poses.getLigandMask(),
                 torch::Device(torch::kCUDA, 0), dtype),
          eager(AffinityModel::fromFile(model(file)), poses.getAtomicNumbers(), poses.getLigandMask(),
                torch::Device(torch::kCUDA, 0), dtype) {
        eager.setUseCUDAGraphs(false);
    }
};

// The energy and forces of the last of `evaluations` evaluations in one Context (later ones
// replay a captured CUDA graph where the force uses graphs).
State evaluate(const System& system, const std::vector<Vec3>& positions, Platform& platform,
               const std::map<std::string, std::string>& properties = {}, int evaluations = 1) {
    VerletIntegrator integrator(0.001);
    Context context(system, integrator, platform, properties);
    context.setPositions(positions);
    State state = context.getState(State::Energy | State::Forces);
    for (int i = 1; i < evaluations; i++)
        state = context.getState(State::Energy | State::Forces);
    return state;
}

// OpenMM's CUDA platform sums forces in 64-bit fixed point with 2^32 units per kJ/mol/nm, so
// a force on CUDA is exact only to 2^-32 ≈ 2.3e-10 kJ/mol/nm, whatever the precision.
const double FixedPointResolution = 1.0 / 4294967296.0;

void requireAgreement(const State& actual, const State& expected, double tolerance) {
    const double e = expected.getPotentialEnergy();
    REQUIRE(std::abs(actual.getPotentialEnergy() - e) <= tolerance * std::max(1.0, std::abs(e)));
    double scale = 1.0;
    for (const Vec3& f : expected.getForces())
        scale = std::max(scale, std::sqrt(f.dot(f)));
    for (size_t i = 0; i < expected.getForces().size(); i++)
        for (int k = 0; k < 3; k++)
            REQUIRE(std::abs(actual.getForces()[i][k] - expected.getForces()[i][k]) <=
                    tolerance * scale + FixedPointResolution);
}

// The parameters' gradients that combinedGradient() added, float64 on the CPU; their .grad is
// cleared for the next call.
std::vector<torch::Tensor> takeGradients(AffinityScorer& scorer) {
    std::vector<torch::Tensor> result;
    for (auto& [name, p] : scorer.getModel().trainableParameters()) {
        result.push_back(p.grad().cpu().to(torch::kFloat64));
        p.mutable_grad() = torch::Tensor();
    }
    return result;
}

// The loss, the parameters' gradients (from takeGradients) and the position gradients of a
// combined gradient within `tolerance` of the expected ones, relative to the largest entry of
// each expected tensor.
void requireSameGradient(const CombinedGradientResult& actual, const std::vector<torch::Tensor>& gradients,
                         const CombinedGradientResult& expected, const std::vector<torch::Tensor>& expectedGradients,
                         double tolerance) {
    REQUIRE(std::abs(actual.loss - expected.loss) <= tolerance * std::max(1.0, expected.loss));
    REQUIRE(gradients.size() == expectedGradients.size());
    for (size_t i = 0; i < gradients.size(); i++) {
        const double scale = std::max(1e-3, expectedGradients[i].abs().max().item<double>());
        REQUIRE((gradients[i] - expectedGradients[i]).abs().max().item<double>() <= tolerance * scale);
    }
    REQUIRE(actual.positionGradients.defined() == expected.positionGradients.defined());
    if (expected.positionGradients.defined()) {
        const double scale = std::max(1e-3, expected.positionGradients.abs().max().item<double>());
        REQUIRE((actual.positionGradients - expected.positionGradients).abs().max().item<double>() <=
                tolerance * scale);
    }
}

// 23 poses in batches of `batch`, three combined gradients by a strategy (Boltzmann, pose
// targets, position gradients) with CUDA graphs and eagerly, each against the CPU's; then `more`
// with the CPU's and the graphs' scorers, and the number of graphs the strategy captured. With
// batches of 5 (the fifth overlapping the fourth), in the first call each pass runs two eager
// warm-up batches, is captured on the third and replayed for the fourth and fifth; later calls
// replay only. With one batch of 23, the third call captures.
void requireCapturedStrategyMatches(GradientStrategy strategy, int batch, int expectedGraphs,
                                    const std::function<void(AffinityScorer& cpu, AffinityScorer& graphs,
                                                             const PoseEnsemble& poses, double tolerance)>& more) {
    const PoseEnsemble poses = randomPoses(23, 9);
    for (auto [file, dtype, tolerance] : {std::make_tuple("schnet_tab_f32.pt", torch::kFloat32, 1e-5),
                                          std::make_tuple("mlp_f64.pt", torch::kFloat64, 1e-10)}) {
        INFO(file);
        ScorersOf scorers(file, poses, dtype);
        AffinityScorer &cpu = scorers.cpu, &graphs = scorers.graphs, &eager = scorers.eager;
        const std::vector<double> energies = cpu.poseEnergies(poses);
        AffinityLoss loss(energies[0] - 2.0);
        std::vector<double> targets;
        for (size_t n = 0; n < energies.size(); n++)
            targets.push_back(energies[n] + std::cos(0.5 * n));
        loss.setPoseTargets(targets, 0.3);
        CombinedGradientOptions options;
        options.strategy = strategy;
        options.batchSize = batch;
        options.positionGradients = true;
        const CombinedGradientResult expected = combinedGradient(cpu, poses, BoltzmannCombination(), loss, options);
        const std::vector<torch::Tensor> expectedGradients = takeGradients(cpu);
        for (int call = 1; call <= 4; call++)
            for (AffinityScorer* scorer : {&graphs, &eager}) {
                INFO("call " << call << (scorer == &graphs ? ", CUDA graphs" : ", eager"));
                const CombinedGradientResult actual =
                    combinedGradient(*scorer, poses, BoltzmannCombination(), loss, options);
                requireSameGradient(actual, takeGradients(*scorer), expected, expectedGradients, tolerance);
            }
        if (more)
            more(cpu, graphs, poses, tolerance);
        INFO("capture failure: " << graphs.getCUDAGraphFailure());
        REQUIRE(graphs.getNumCapturedGraphs() == expectedGraphs);
        REQUIRE(eager.getNumCapturedGraphs() == 0);
    }
}

} // namespace

TEST_CASE("CUDA energies and forces equal the Reference platform in every precision") {
    Platform& reference = Platform::getPlatformByName("Reference");
    for (const char* name : {"pair.pt", "mlp_f64.pt", "schnet_tab_f64.pt"}) {
        Complex c = makeComplex(model(name));
        const State expected = evaluate(c.system, c.positions, reference);
        for (const std::string precision : {"single", "mixed", "double"}) {
            INFO(name << " in " << precision << " precision");
            const State actual = evaluate(c.system, c.positions, AffinityTest::platform(), {{"Precision", precision}});
            requireAgreement(actual, expected, precision == "double" ? 1e-10 : 1e-5);
        }
    }
}

TEST_CASE("CUDA graphs on and off give the same results") {
    // schnet_tab_f32.pt runs the fused filter-convolution kernels inside the captured graph.
    const std::string name = GENERATE(as<std::string>{}, "mlp_f32.pt", "schnet_tab_f32.pt");
    INFO(name);
    Complex plain = makeComplex(model(name));
    Complex graphs = makeComplex(model(name), {{"useCUDAGraphs", "true"}, {"CUDAGraphWarmupSteps", "3"}});
    VerletIntegrator i1(0.001), i2(0.001);
    Context c1(plain.system, i1, AffinityTest::platform()), c2(graphs.system, i2, AffinityTest::platform());
    std::mt19937 rng(9);
    std::normal_distribution<double> jitter(0.0, 0.01);
    for (int step = 0; step < 8; step++) { // warm-up calls, the capture, then replays
        std::vector<Vec3> positions = plain.positions;
        for (Vec3& p : positions)
            p += Vec3(jitter(rng), jitter(rng), jitter(rng));
        c1.setPositions(positions);
        c2.setPositions(positions);
        requireAgreement(c2.getState(State::Energy | State::Forces), c1.getState(State::Energy | State::Forces), 1e-6);
    }
}

TEST_CASE("1,000 Langevin steps on CUDA stay finite and agree with Reference spot checks") {
    Complex c = makeComplex(model("mlp_f64.pt"), {{"useCUDAGraphs", "true"}});
    LangevinMiddleIntegrator integrator(300.0, 1.0, 0.0005);
    integrator.setRandomNumberSeed(5);
    Context context(c.system, integrator, AffinityTest::platform(), {{"Precision", "mixed"}});
    context.setPositions(c.positions);
    context.setVelocitiesToTemperature(300.0, 7);
    for (int block = 0; block < 10; block++) {
        integrator.step(100);
        const State state = context.getState(State::Energy | State::Forces | State::Positions);
        REQUIRE(std::isfinite(state.getPotentialEnergy()));
        requireAgreement(state, evaluate(c.system, state.getPositions(), Platform::getPlatformByName("Reference")),
                         1e-5);
    }
}

TEST_CASE("MD steps on CUDA follow the Reference trajectory, CUDA graphs on and off") {
    // The force's work runs on LibTorch's stream and is ordered with OpenMM's on the device
    // alone: a force added late or positions read early would show here as a different path.
    const std::string graphs = GENERATE(as<std::string>{}, "false", "true");
    INFO("useCUDAGraphs " << graphs);
    Complex c = makeComplex(model("mlp_f64.pt"), {{"useCUDAGraphs", graphs}, {"CUDAGraphWarmupSteps", "2"}});
    VerletIntegrator onCuda(0.0005), onReference(0.0005);
    Context cuda(c.system, onCuda, AffinityTest::platform(), {{"Precision", "double"}});
    Context reference(c.system, onReference, Platform::getPlatformByName("Reference"));
    for (Context* context : {&cuda, &reference}) {
        context->setPositions(c.positions);
        context->setVelocitiesToTemperature(300.0, 11);
    }
    for (int block = 0; block < 4; block++) {
        onCuda.step(10);
        onReference.step(10);
        const std::vector<Vec3> actual = cuda.getState(State::Positions).getPositions();
        const std::vector<Vec3> expected = reference.getState(State::Positions).getPositions();
        double moved = 0.0;
        for (size_t i = 0; i < actual.size(); i++) {
            const Vec3 d = actual[i] - expected[i];
            REQUIRE(std::sqrt(d.dot(d)) < 1e-9);
            const Vec3 m = expected[i] - c.positions[i];
            moved = std::max(moved, std::sqrt(m.dot(m)));
        }
        REQUIRE(moved > 1e-4); // the ligand moves, so the comparison means something
    }
}

TEST_CASE("A non-finite energy in MD steps whose energy is not read is reported at a later step") {
    const std::string graphs = GENERATE(as<std::string>{}, "false", "true");
    INFO("useCUDAGraphs " << graphs);
    Complex c = makeComplex(model("nan.pt"), {{"useCUDAGraphs", graphs}, {"CUDAGraphWarmupSteps", "1"}});
    VerletIntegrator integrator(0.0005);
    Context context(c.system, integrator, AffinityTest::platform());
    context.setPositions(c.positions);
    integrator.step(1);                 // queued; the host does not wait for its energy
    context.getState(State::Positions); // waits for the device, and so for the energy's copy
    REQUIRE_THROWS_WITH(integrator.step(1), Contains("non-finite energy") || Contains("NaN"));
}

TEST_CASE("MD steps on CUDA hold no more device memory as they go on") {
    // Every step's autograd graph must be released: steps whose energy is not read once kept
    // each earlier step's graph alive (about 24 MB per step with the benchmark SchNet).
    const std::string graphs = GENERATE(as<std::string>{}, "false", "true");
    INFO("useCUDAGraphs " << graphs);
    Complex c = makeComplex(model("schnet_tab_f32.pt"), {{"useCUDAGraphs", graphs}, {"CUDAGraphWarmupSteps", "2"}});
    LangevinMiddleIntegrator integrator(300.0, 1.0, 0.0005);
    Context context(c.system, integrator, AffinityTest::platform());
    context.setPositions(c.positions);
    const torch::Device device(torch::kCUDA, 0);
    integrator.step(20);
    context.getState(State::Energy);
    const int64_t before = DeviceMemory::current(device);
    integrator.step(200);
    context.getState(State::Energy);
    const int64_t after = DeviceMemory::current(device);
    INFO("LibTorch's allocated device memory: " << before << " bytes after 20 steps, " << after << " after 220");
    REQUIRE(before > 0);
    REQUIRE(after - before <= 0);
}

TEST_CASE("computePoseEnergies on CUDA equals the per-pose loop") {
    const std::string name = GENERATE(as<std::string>{}, "mlp_f32.pt", "schnet_tab_f32.pt");
    INFO(name);
    Complex c = makeComplex(model(name), {{"poseBatchSize", "16"}});
    VerletIntegrator integrator(0.001);
    Context context(c.system, integrator, AffinityTest::platform());
    PoseEnsemble poses = PoseEnsemble::forForce(*c.force);
    std::mt19937 rng(4);
    std::normal_distribution<double> jitter(0.0, 0.05);
    std::vector<std::vector<Vec3>> all;
    for (int p = 0; p < 40; p++) {
        std::vector<Vec3> pose = c.positions;
        for (size_t i = 32; i < pose.size(); i++)
            pose[i] += Vec3(jitter(rng), jitter(rng), jitter(rng));
        poses.addPose(pose);
        all.push_back(pose);
    }
    const std::vector<double> energies = c.force->computePoseEnergies(context, poses);
    for (int p = 0; p < 40; p++) {
        context.setPositions(all[p]);
        const double expected = context.getState(State::Energy).getPotentialEnergy();
        REQUIRE(std::abs(energies[p] - expected) <= 1e-5 * std::max(1.0, std::abs(expected)));
    }
}

TEST_CASE("The combined gradient on CUDA equals the CPU one") {
    const PoseEnsemble poses = randomPoses(32, 8);
    const std::vector<int>& z = poses.getAtomicNumbers();
    const std::vector<bool>& mask = poses.getLigandMask();
    // The tabulated SchNet models run the fused kernels' backward (table gradients included)
    // on the GPU, and the operator's plain formula on the CPU.
    for (auto [file, dtype, tolerance] :
         {std::make_tuple("mlp_f32.pt", torch::kFloat32, 1e-5), std::make_tuple("mlp_f64.pt", torch::kFloat64, 1e-10),
          std::make_tuple("schnet_tab_f32.pt", torch::kFloat32, 1e-5),
          std::make_tuple("schnet_tab_f64.pt", torch::kFloat64, 1e-10)})
        for (GradientStrategy strategy :
             {GradientStrategy::StoreAll, GradientStrategy::TwoPass, GradientStrategy::OnePass}) {
            INFO(file << " strategy " << (int)strategy);
            AffinityScorer cpu(AffinityModel::fromFile(model(file)), z, mask, torch::kCPU, dtype);
            AffinityScorer gpu(AffinityModel::fromFile(model(file)), z, mask, torch::Device(torch::kCUDA, 0), dtype);
            // Batches of 5 (the last overlapping): a model call each for two-pass and one-pass,
            // five poses side by side for store-all; each pass is captured on its third batch.
            CombinedGradientOptions options;
            options.strategy = strategy;
            options.batchSize = 5;
            AffinityLoss loss(-20.0);
            const CombinedGradientResult onCpu = combinedGradient(cpu, poses, BoltzmannCombination(), loss, options);
            const CombinedGradientResult onGpu = combinedGradient(gpu, poses, BoltzmannCombination(), loss, options);
            REQUIRE(std::abs(onGpu.loss - onCpu.loss) <= tolerance * std::max(1.0, onCpu.loss));
            auto expected = cpu.getModel().trainableParameters();
            auto actual = gpu.getModel().trainableParameters();
            for (size_t i = 0; i < expected.size(); i++) {
                torch::Tensor e = expected[i].second.grad().to(torch::kFloat64);
                torch::Tensor a = actual[i].second.grad().cpu().to(torch::kFloat64);
                INFO("parameter " << expected[i].first);
                REQUIRE((a - e).abs().max().item<double>() <= tolerance * std::max(1e-3, e.abs().max().item<double>()));
            }
        }
}

TEST_CASE("The batches a memory budget chooses keep scoring and the gradient passes within it") {
    // 1,000 atoms: a pose's tensors (the dense distances among them) outweigh the model's
    // tables, so the batch size is what the budget bounds. Eager passes: their peak allocation
    // is what a batch takes (a graph's pool holds the same working memory between calls).
    const double budgetMiB = 192.0;
    const int atoms = 1000;
    const PoseEnsemble atomsOf = randomPoses(1, 1, atoms);
    AffinityScorer gpu(AffinityModel::fromFile(model("schnet_tab_f32.pt")), atomsOf.getAtomicNumbers(),
                       atomsOf.getLigandMask(), torch::Device(torch::kCUDA, 0), torch::kFloat32);
    gpu.setUseCUDAGraphs(false);
    const int energyBatch = gpu.batchSize(0, budgetMiB, false), gradientBatch = gpu.batchSize(0, budgetMiB, true);
    INFO("batches: energies " << energyBatch << ", gradients " << gradientBatch);
    REQUIRE(gradientBatch > 1);
    REQUIRE(energyBatch > gradientBatch);
    const torch::Device device(torch::kCUDA, 0);
    auto peakMiB = [&](const std::function<void()>& work) {
        work(); // first calls of a shape: TorchScript profiles, then optimises
        work();
        return (double)DeviceMemory::peakOf(device, work) / (1024.0 * 1024.0);
    };
    // The budget bounds what a model call works with; the positions of all poses, uploaded
    // at once, and their position gradients come on top: `arrays` arrays of positions.
    auto heldMiB = [&](const PoseEnsemble& poses, int arrays) {
        return arrays * (double)poses.getNumPoses() * atoms * 3 * sizeof(float) / (1024.0 * 1024.0);
    };
    // Two full batches and one pose more: the last batch overlaps the one before.
    const PoseEnsemble scored = randomPoses(2 * energyBatch + 1, 2, atoms, 3.0);
    const double scoring = peakMiB([&] { gpu.poseEnergies(scored, 0, budgetMiB); });
    INFO("scoring peak " << scoring << " MiB, of which the poses " << heldMiB(scored, 1));
    CHECK(scoring - heldMiB(scored, 1) <= budgetMiB);
    const PoseEnsemble poses = randomPoses(2 * gradientBatch + 1, 3, atoms, 3.0);
    for (GradientStrategy strategy : {GradientStrategy::TwoPass, GradientStrategy::OnePass}) {
        CombinedGradientOptions options;
        options.strategy = strategy;
        options.memoryBudgetMiB = budgetMiB;
        options.positionGradients = true;
        const double peak =
            peakMiB([&] { combinedGradient(gpu, poses, BoltzmannCombination(), AffinityLoss(-20.0), options); });
        INFO("strategy " << (int)strategy << " peak " << peak << " MiB, of which the poses " << heldMiB(poses, 2));
        CHECK(peak - heldMiB(poses, 2) <= budgetMiB);
    }
}

TEST_CASE("A model that a CUDA graph cannot capture runs eagerly and its gradients stay right") {
    // near_pairs.pt picks atoms with nonzero(), which synchronises with the host: the capture
    // of its batch fails, the scorer reports why and goes on eagerly; the failed capture must
    // not break what follows (the memory probe of the gradient pass draws random poses).
    const PoseEnsemble poses = randomPoses(24, 8);
    AffinityScorer cpu(AffinityModel::fromFile(model("near_pairs.pt")), poses.getAtomicNumbers(), poses.getLigandMask(),
                       torch::kCPU, torch::kFloat64);
    AffinityScorer gpu(AffinityModel::fromFile(model("near_pairs.pt")), poses.getAtomicNumbers(), poses.getLigandMask(),
                       torch::Device(torch::kCUDA, 0), torch::kFloat64);
    for (int call = 0; call < 3; call++) {
        const std::vector<double> expected = cpu.poseEnergies(poses, 8), actual = gpu.poseEnergies(poses, 8);
        for (size_t n = 0; n < expected.size(); n++)
            REQUIRE(actual[n] == Approx(expected[n]).epsilon(1e-10));
    }
    CHECK(gpu.getNumCapturedGraphs() == 0);
    CHECK(!gpu.getCUDAGraphFailure().empty());
    AffinityLoss loss(-5.0);
    CombinedGradientOptions options;
    const CombinedGradientResult onCpu = combinedGradient(cpu, poses, BoltzmannCombination(), loss, options);
    const CombinedGradientResult onGpu = combinedGradient(gpu, poses, BoltzmannCombination(), loss, options);
    REQUIRE(onGpu.loss == Approx(onCpu.loss).epsilon(1e-10));
    const double expected = cpu.getModel().trainableParameters()[0].second.grad().item<double>();
    const double actual = gpu.getModel().trainableParameters()[0].second.grad().cpu().item<double>();
    REQUIRE(actual == Approx(expected).epsilon(1e-9));
}

TEST_CASE("Batched evaluations replayed from CUDA graphs equal eager ones and the CPU") {
    // 23 poses in batches of 8: the last batch overlaps the one before (poses 15 to 22, of
    // which pose 15 must not count twice). In the first call each pass runs its two eager
    // warm-up batches and captures its graph on the third; later calls replay. The second call
    // scores in batches of 5, so a new energy graph is captured into the memory pool that the
    // gradient graph shares, and the third call captures one for batches of 8 again.
    const PoseEnsemble poses = randomPoses(23, 9);
    for (auto [file, dtype, tolerance] : {std::make_tuple("schnet_tab_f32.pt", torch::kFloat32, 1e-5),
                                          std::make_tuple("mlp_f64.pt", torch::kFloat64, 1e-10)}) {
        INFO(file);
        ScorersOf scorers(file, poses, dtype);
        AffinityScorer &cpu = scorers.cpu, &graphs = scorers.graphs, &eager = scorers.eager;
        CombinedGradientOptions options;
        options.batchSize = 8;
        options.positionGradients = true;
        AffinityLoss loss(-20.0);
        const CombinedGradientResult expected = combinedGradient(cpu, poses, BoltzmannCombination(), loss, options);
        const std::vector<torch::Tensor> expectedGradients = takeGradients(cpu);
        const std::vector<double> expectedEnergies = cpu.poseEnergies(poses, 8);
        for (int call = 1; call <= 3; call++) {
            INFO("call " << call);
            for (AffinityScorer* scorer : {&graphs, &eager}) {
                INFO((scorer == &graphs ? "CUDA graphs" : "eager"));
                const CombinedGradientResult actual =
                    combinedGradient(*scorer, poses, BoltzmannCombination(), loss, options);
                const std::vector<torch::Tensor> gradients = takeGradients(*scorer);
                const std::vector<double> energies = scorer->poseEnergies(poses, call == 2 ? 5 : 8);
                requireSameGradient(actual, gradients, expected, expectedGradients, tolerance);
                for (int p = 0; p < 23; p++)
                    REQUIRE(std::abs(energies[p] - expectedEnergies[p]) <=
                            tolerance * std::max(1.0, std::abs(expectedEnergies[p])));
            }
        }
        INFO("capture failure: " << graphs.getCUDAGraphFailure());
        REQUIRE(graphs.getNumCapturedGraphs() == 2);
        REQUIRE(eager.getNumCapturedGraphs() == 0);
        // A changed temperature is baked into a graph (kT models): the graphs go.
        graphs.setTemperature(310.0);
        REQUIRE(graphs.getNumCapturedGraphs() == 0);
    }
}

TEST_CASE("One-pass batches replayed from their two CUDA graphs equal eager ones and the CPU") {
    // The forward and backward halves are captured (two graphs). Boltzmann keeps the shift sum B,
    // the pose targets the sum P, and the position gradients a fourth backward pass.
    requireCapturedStrategyMatches(GradientStrategy::OnePass, 5, 2, {});
}

TEST_CASE("Two-pass of poses that fit in one batch, evaluated once from two CUDA graphs, equals eager and the CPU") {
    // 23 poses in one batch: the one-pass strategy's forward and backward halves, the backward
    // with the final g_n, captured on the third call and replayed on the fourth.
    requireCapturedStrategyMatches(GradientStrategy::TwoPass, 23, 2, {});
}

TEST_CASE("Store-all's poses side by side, replayed from one CUDA graph, equal eager ones and the CPU") {
    // Five poses side by side: the capture holds five branches on five streams. Each pose's own
    // gradients are compared through forEachPoseGradient too, where a mixed-up branch would show.
    requireCapturedStrategyMatches(
        GradientStrategy::StoreAll, 5, 1,
        [](AffinityScorer& cpu, AffinityScorer& graphs, const PoseEnsemble& poses, double tolerance) {
            std::vector<PoseGradient> expectedPoses, actualPoses;
            forEachPoseGradient(
                cpu, poses, [&](const PoseGradient& g) { expectedPoses.push_back(g); }, true);
            forEachPoseGradient(
                graphs, poses, [&](const PoseGradient& g) { actualPoses.push_back(g); }, true, 5);
            REQUIRE(actualPoses.size() == 23);
            for (int n = 0; n < 23; n++) {
                INFO("pose " << n);
                const PoseGradient &e = expectedPoses[n], &a = actualPoses[n];
                REQUIRE(a.pose == n);
                REQUIRE(std::abs(a.energy - e.energy) <= tolerance * std::max(1.0, std::abs(e.energy)));
                for (size_t i = 0; i < e.parameterGradients.size(); i++) {
                    const torch::Tensor want = e.parameterGradients[i].second.to(torch::kFloat64);
                    const torch::Tensor got = a.parameterGradients[i].second.cpu().to(torch::kFloat64);
                    REQUIRE((got - want).abs().max().item<double>() <=
                            tolerance * std::max(1e-3, want.abs().max().item<double>()));
                }
                const torch::Tensor want = e.positionGradient.to(torch::kFloat64);
                REQUIRE((a.positionGradient.cpu().to(torch::kFloat64) - want).abs().max().item<double>() <=
                        tolerance * std::max(1e-3, want.abs().max().item<double>()));
            }
        });
}

namespace {

// Energies and forces of one pose through an AffinityForce with the given properties in a Context,
// as the last of `evaluations` evaluations (see evaluate).
State poseState(const std::string& file, const PoseEnsemble& poses, int pose, Platform& platform,
                const std::map<std::string, std::string>& forceProperties,
                const std::map<std::string, std::string>& platformProperties = {}, int evaluations = 1) {
    System system;
    AffinityForce* force = new AffinityForce(file, forceProperties);
    std::vector<Vec3> positions;
    const double* x = poses.getPositions().data() + (size_t)pose * poses.getNumAtoms() * 3;
    for (int i = 0; i < poses.getNumAtoms(); i++) {
        system.addParticle(poses.getLigandMask()[i] ? 12.0 : 0.0);
        force->addParticle(i, poses.getAtomicNumbers()[i], poses.getLigandMask()[i]);
        positions.push_back(Vec3(x[3 * i], x[3 * i + 1], x[3 * i + 2]));
    }
    system.addForce(force);
    return evaluate(system, positions, platform, platformProperties, evaluations);
}

// The largest force error relative to the largest expected force on an atom.
double relativeForceError(const State& actual, const State& expected) {
    double scale = 0.0, error = 0.0;
    for (size_t i = 0; i < expected.getForces().size(); i++) {
        const Vec3 f = expected.getForces()[i], d = actual.getForces()[i] - f;
        scale = std::max(scale, std::sqrt(f.dot(f)));
        error = std::max({error, std::abs(d[0]), std::abs(d[1]), std::abs(d[2])});
    }
    return error / scale;
}

} // namespace

TEST_CASE("TF32 matrix products keep energies within 1e-3 and forces within 1e-2 of float64") {
    // The benchmark model's widths: its 128-wide linears are what tensor cores would run. The
    // float64 reference is the same file on the CPU (scoring) and on the Reference platform.
    const std::string file = model("schnet_wide_f32.pt");
    const PoseEnsemble poses = randomPoses(12, 21, 300, 1.5);
    const torch::Device cuda(torch::kCUDA, 0);
    auto scorer = [&](torch::Device device, torch::ScalarType dtype, MatmulPrecision precision) {
        AffinityModel m = AffinityModel::fromFile(file);
        m.setMatmulPrecision(precision);
        return AffinityScorer(m, poses.getAtomicNumbers(), poses.getLigandMask(), device, dtype);
    };
    const std::vector<double> expected =
        scorer(torch::kCPU, torch::kFloat64, MatmulPrecision::Float32).poseEnergies(poses);
    const std::vector<double> plain = scorer(cuda, torch::kFloat32, MatmulPrecision::Float32).poseEnergies(poses);
    const int before = (int)at::globalContext().float32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL);
    const std::vector<double> reduced = scorer(cuda, torch::kFloat32, MatmulPrecision::TF32).poseEnergies(poses);
    // LibTorch's process-wide setting is left as it was.
    REQUIRE((int)at::globalContext().float32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL) == before);
    double plainError = 0.0, reducedError = 0.0;
    for (int n = 0; n < poses.getNumPoses(); n++) {
        plainError = std::max(plainError, std::abs(plain[n] - expected[n]) / std::abs(expected[n]));
        reducedError = std::max(reducedError, std::abs(reduced[n] - expected[n]) / std::abs(expected[n]));
    }
    std::cout << "pose energies, largest relative error against float64: float32 " << plainError << ", TF32 "
              << reducedError << std::endl;
    CHECK(reducedError <= 1e-3);
    // The products did run in TF32: its error is far above float32 rounding.
    CHECK(reducedError > 10 * plainError);

    Platform& reference = Platform::getPlatformByName("Reference");
    const State exact = poseState(file, poses, 0, reference, {});
    const State single = poseState(file, poses, 0, AffinityTest::platform(), {}, {{"Precision", "single"}});
    const State tf32 =
        poseState(file, poses, 0, AffinityTest::platform(), {{"matmulPrecision", "tf32"}}, {{"Precision", "single"}});
    const double e = exact.getPotentialEnergy();
    const double singleEnergyError = std::abs(single.getPotentialEnergy() - e) / std::abs(e);
    const double tf32EnergyError = std::abs(tf32.getPotentialEnergy() - e) / std::abs(e);
    std::cout << "Context energy and forces, relative error against Reference: float32 " << singleEnergyError << ", "
              << relativeForceError(single, exact) << "; TF32 " << tf32EnergyError << ", "
              << relativeForceError(tf32, exact) << std::endl;
    CHECK(tf32EnergyError <= 1e-3);
    CHECK(relativeForceError(tf32, exact) <= 1e-2);
    CHECK(relativeForceError(tf32, exact) > 10 * relativeForceError(single, exact));

    // MD's path: the force replayed from a CUDA graph, captured with the TF32 kernels.
    const State replayed =
        poseState(file, poses, 0, AffinityTest::platform(),
                  {{"matmulPrecision", "tf32"}, {"useCUDAGraphs", "true"}, {"CUDAGraphWarmupSteps", "1"}},
                  {{"Precision", "single"}}, 4);
    const double replayedEnergyError = std::abs(replayed.getPotentialEnergy() - e) / std::abs(e);
    std::cout << "replayed from a CUDA graph, TF32: energy " << replayedEnergyError << ", forces "
              << relativeForceError(replayed, exact) << std::endl;
    CHECK(replayedEnergyError <= 1e-3);
    CHECK(relativeForceError(replayed, exact) <= 1e-2);
    CHECK(relativeForceError(replayed, exact) > 10 * relativeForceError(single, exact));
}
