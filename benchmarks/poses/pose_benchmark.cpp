// SPDX-License-Identifier: MIT
// affinity-pose-benchmark: how fast and how lean the plugin scores poses, exports gradients
// and runs MD, on the CPU or a CUDA device. Prints tables and, unless --no-record, appends them
// with the machine, versions and command to benchmarks/RESULTS.md. Figures, not pass/fail.
#include "AffinityDefaults.h"
#include "AffinityForce.h"
#include "AffinityProperties.h"
#include "BenchmarkReport.h"
#include "DeviceMemory.h"
#include "GradientExport.h"
#include "SyntheticComplex.h"
#include "TorchDevice.h"
#include "openmm/Context.h"
#include "openmm/LangevinMiddleIntegrator.h"
#include "openmm/Platform.h"
#include "openmm/State.h"
#include "openmm/System.h"
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <malloc.h>
#include <map>
#include <memory>
#include <sstream>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/cuda.h>

using namespace AffinityPlugin;
using namespace OpenMM;
using Clock = std::chrono::steady_clock;

namespace {

const char* Usage = R"(usage: affinity-pose-benchmark --model MODEL.pt [options]

Scores poses of a synthetic protein–ligand complex with a TorchScript model of the second
contract and measures:
  1. poses per second: batched scoring (AffinityScorer) against a per-pose loop of
     Context.setPositions + getState(Energy) with an AffinityForce;
  2. the combined gradient (Boltzmann, MSE loss) per strategy and number of poses: time per pose
     and peak memory (GPU: allocator peak; CPU: peak RSS), against full autograd over all poses;
  3. MD: ms per step of a LangevinMiddleIntegrator with the AffinityForce alone (CUDA graphs
     on and off on CUDA), after warm-up steps until the time per step is steady;
  4. with --set-ligands, the two-pass combined gradient of a loss over a set of L ligands
     (Boltzmann, mean squared error over the set), each ligand its own complex (ligand atoms
     varying by up to 4) and scorer, all scorers sharing the model: time per pose and peak
     memory above the start, and what the L scorers keep between calls.

options:
  --model FILE            the TorchScript model (required)
  --device cpu|cuda       where LibTorch runs, and which OpenMM platform (CPU or CUDA) (default cpu)
  --receptor-atoms N      pocket atoms (default 600)
  --ligand-atoms N        ligand atoms (default 40)
  --score-poses N         poses for the scoring figures, 0 to skip (default 1024)
  --loop-poses N          poses for the per-pose Context loop, 0 to skip (default 128)
  --gradient-poses LIST   pose counts for the gradient figures (default 1,8,32,128,512)
  --strategies LIST       of store-all,two-pass,one-pass,full-autograd (default all four)
  --full-autograd-max N   skip full autograd above N poses (default 512)
  --batch-size N          poses per model call (default 0: chosen from the memory budget)
  --batch-graphs on|off   whether the scorer's batched passes replay CUDA graphs (default on)
  --matmul-precision P    float32 or tf32: the force property matmulPrecision, for the scorer and
                          the AffinityForce alike (default float32)
  --md-steps N            MD steps to time, 0 to skip (default 200)
  --md-trace FILE         also record 20 MD steps (graphs as the last MD row) with LibTorch's
                          profiler (host calls, and on CUDA every kernel of every context) as a
                          Chrome trace; summarise it with summarize_trace.py
  --gradient-trace FILE   also record 20 two-pass calls at the first of --gradient-poses (after
                          the timed call) as such a trace
  --platform-property N=V a property of the OpenMM platform for the Contexts (repeatable)
  --set-ligands LIST      ligand counts L for the set figures (default none: skipped)
  --set-mmap-kib N        on the CPU, set glibc's mmap and trim thresholds to N KiB before the
                          set figures, so that freed blocks leave the resident set and peak RSS
                          follows live memory more closely (default 0: glibc's own)
  --set-poses N           poses per ligand for the set figures (default 32)
  --dump-poses FILE       write the complex and --score-poses poses for python_reference.py, then exit
  --results FILE          where to append the record (default benchmarks/RESULTS.md)
  --no-record             print only; do not append the record
)";

std::vector<int> parseList(const std::string& text) {
    std::vector<int> values; // an empty list skips that part
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ','))
        values.push_back(std::stoi(item));
    return values;
}

std::vector<std::string> parseNames(const std::string& text) {
    std::vector<std::string> values;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ','))
        values.push_back(item);
    return values;
}

void synchronize(const torch::Device& device) {
    if (device.is_cuda())
        torch::cuda::synchronize(device.index());
}

double secondsOf(const torch::Device& device, const std::function<void()>& work) {
    synchronize(device);
    const auto start = Clock::now();
    work();
    synchronize(device);
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Peak memory of `work` above what was in use before: GPU allocator bytes, or process RSS.
long long peakMemoryOf(const torch::Device& device, const std::function<void()>& work) {
    if (device.is_cuda())
        return DeviceMemory::peakOf(device, work);
    resetPeakRss();
    const long long before = currentRss();
    work();
    return peakRss() - before;
}

std::string mib(long long bytes) {
    return bytes < 0 ? "n/a" : BenchmarkReport::number(bytes / 1048576.0, 1);
}

// The reference: every pose's graph kept at once, the Boltzmann ΔG and MSE loss in LibTorch.
void fullAutograd(AffinityScorer& scorer, const PoseEnsemble& poses, double target, int batch) {
    const double beta = betaForTemperature(scorer.getTemperature());
    torch::Tensor all = scorer.uploadPoses(poses, 0, poses.getNumPoses());
    std::vector<torch::Tensor> parts;
    for (int first = 0; first < poses.getNumPoses(); first += batch)
        parts.push_back(scorer.energies(all.narrow(0, first, std::min(batch, poses.getNumPoses() - first)), false));
    torch::Tensor g = torch::cat(parts);
    torch::Tensor dg = (torch::softmax(-beta * g, 0) * g).sum();
    torch::Tensor loss = (dg - target).pow(2);
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : scorer.getModel().trainableParameters())
        params.push_back(p);
    torch::autograd::grad({loss}, params);
}

// Runs `work` under LibTorch's Kineto profiler and writes its Chrome trace to `file`.
void recordTrace(const torch::Device& device, const std::string& file, const std::function<void()>& work) {
    using namespace torch::profiler::impl;
    const ProfilerConfig config(ProfilerState::KINETO);
    std::set<ActivityType> activities{ActivityType::CPU};
    if (device.is_cuda())
        activities.insert(ActivityType::CUDA);
    torch::autograd::profiler::prepareProfiler(config, activities);
    torch::autograd::profiler::enableProfiler(config, activities);
    work();
    synchronize(device);
    torch::autograd::profiler::disableProfiler()->save(file);
    std::cout << "wrote the trace " << file << std::endl;
}

// Seconds that `steps` MD steps take, up to the energy of the last one (which waits for the device).
double secondsOfSteps(Integrator& integrator, Context& context, int steps) {
    const auto start = Clock::now();
    integrator.step(steps);
    context.getState(State::Energy);
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs MD steps in blocks until two blocks in a row take the same time to within 3% (at most
// 30 blocks of 100 steps): the first few hundred steps of a new Context on a GPU run several
// times slower than later ones, and the figures are meant to be those of a long simulation.
void warmUpSteps(Integrator& integrator, Context& context) {
    double previous = 0.0;
    for (int block = 0; block < 30; block++) {
        const double seconds = secondsOfSteps(integrator, context, 100);
        if (block > 0 && std::abs(seconds - previous) < 0.03 * previous)
            return;
        previous = seconds;
    }
}

System makeSystem(const SyntheticComplex& complex, const std::string& model, bool graphs,
                  const std::string& matmulPrecision) {
    System system;
    AffinityForce* force =
        new AffinityForce(model, {{"useCUDAGraphs", graphs ? "true" : "false"}, {"matmulPrecision", matmulPrecision}});
    for (size_t i = 0; i < complex.positions.size(); i++) {
        system.addParticle(complex.ligandMask[i] ? 12.0 : 0.0);
        force->addParticle((int)i, complex.atomicNumbers[i], complex.ligandMask[i]);
    }
    system.addForce(force);
    return system;
}

// Two-pass over `count` ligands of `poses` poses each; every ligand its own complex and scorer.
void benchmarkLigandSet(BenchmarkReport& report, const AffinityModel& model, const torch::Device& device,
                        torch::ScalarType dtype, int receptorAtoms, int ligandAtoms, int count, int poses,
                        int batchSize) {
    DeviceMemory::releaseCached(device);
    const long long before = device.is_cuda() ? DeviceMemory::current(device) : currentRss();
    std::vector<std::unique_ptr<AffinityScorer>> scorers;
    std::vector<PoseEnsemble> ensembles;
    std::vector<LigandTerm> ligands;
    for (int l = 0; l < count; l++) {
        const SyntheticComplex complex(receptorAtoms, ligandAtoms + l % 5, 10 + l);
        ensembles.push_back(complex.poses(poses, 100 + l));
        scorers.push_back(
            std::make_unique<AffinityScorer>(model, complex.atomicNumbers, complex.ligandMask, device, dtype));
    }
    for (int l = 0; l < count; l++) {
        LigandTerm term;
        term.scorer = scorers[l].get();
        term.poses = &ensembles[l];
        term.target = -30.0 + 0.5 * l;
        ligands.push_back(term);
    }
    CombinedGradientOptions options;
    options.strategy = GradientStrategy::TwoPass;
    options.batchSize = batchSize;
    MeanSquaredError loss;
    auto work = [&] { combinedGradient(ligands, BoltzmannCombination(), loss, options); };
    // Warm-up as for the one-ligand figures: TorchScript profiles each new shape (the ligands
    // differ in atom count) on its first call and optimises it on the second; on a GPU the
    // third captures the batch graphs.
    for (int call = 0; call < 3; call++)
        work();
    const long long kept = (device.is_cuda() ? DeviceMemory::current(device) : currentRss()) - before;
    long long memory = 0;
    const double seconds = secondsOf(device, [&] { memory = peakMemoryOf(device, work); });
    const int total = count * poses;
    report.row({std::to_string(count), std::to_string(total), BenchmarkReport::number(1000.0 * seconds / total, 3),
                mib(memory), mib(kept)});
}

} // namespace

int main(int argc, char* argv[]) {
    std::string modelFile, deviceName = "cpu", strategiesText = "store-all,two-pass,one-pass,full-autograd";
    int receptorAtoms = 600, ligandAtoms = 40, scorePoses = 1024, loopPoses = 128, fullMax = 512, batchSize = 0;
    int mdSteps = 200;
    std::vector<int> gradientPoses = {1, 8, 32, 128, 512}, setLigands;
    int setPoses = 32, setMmapKiB = 0;
    bool recordResults = true, batchGraphs = true;
    std::string resultsFile = AFFINITY_RESULTS_FILE, dumpFile, traceFile, gradientTraceFile;
    std::string matmulPrecision = "float32";
    std::map<std::string, std::string> platformProperties;
    // Each option that takes a value, and where the value goes.
    using Setter = std::function<void(const std::string&)>;
    auto text = [](std::string& into) -> Setter { return [&into](const std::string& v) { into = v; }; };
    auto integer = [](int& into) -> Setter { return [&into](const std::string& v) { into = std::stoi(v); }; };
    auto list = [](std::vector<int>& into) -> Setter { return [&into](const std::string& v) { into = parseList(v); }; };
    const std::map<std::string, Setter> valued = {
        {"--model", text(modelFile)},
        {"--device", text(deviceName)},
        {"--receptor-atoms", integer(receptorAtoms)},
        {"--ligand-atoms", integer(ligandAtoms)},
        {"--score-poses", integer(scorePoses)},
        {"--loop-poses", integer(loopPoses)},
        {"--gradient-poses", list(gradientPoses)},
        {"--strategies", text(strategiesText)},
        {"--full-autograd-max", integer(fullMax)},
        {"--batch-size", integer(batchSize)},
        {"--batch-graphs", [&](const std::string& v) { batchGraphs = v != "off"; }},
        {"--matmul-precision", text(matmulPrecision)},
        {"--md-steps", integer(mdSteps)},
        {"--md-trace", text(traceFile)},
        {"--gradient-trace", text(gradientTraceFile)},
        {"--platform-property",
         [&](const std::string& item) {
             const size_t equals = item.find('=');
             if (equals == std::string::npos)
                 throw std::runtime_error("--platform-property needs NAME=VALUE, not " + item);
             platformProperties[item.substr(0, equals)] = item.substr(equals + 1);
         }},
        {"--set-ligands", list(setLigands)},
        {"--set-poses", integer(setPoses)},
        {"--set-mmap-kib", integer(setMmapKiB)},
        {"--results", text(resultsFile)},
        {"--dump-poses", text(dumpFile)}};
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        const auto option = valued.find(a);
        if (option != valued.end()) {
            if (i + 1 >= argc)
                throw std::runtime_error(a + " needs a value");
            option->second(argv[++i]);
        } else if (a == "--no-record") {
            recordResults = false;
        } else {
            std::cout << Usage;
            return a == "--help" ? 0 : 2;
        }
    }
    if (modelFile.empty()) {
        std::cerr << Usage;
        return 2;
    }
    try {
        Platform::loadPluginsFromDirectory(Platform::getDefaultPluginsDirectory());
        const torch::Device device = torchDevice(DeviceName::fromName(deviceName));
        const SyntheticComplex complex(receptorAtoms, ligandAtoms);
        if (!dumpFile.empty()) {
            writePoses(complex.poses(scorePoses), dumpFile);
            std::cout << "wrote " << scorePoses << " poses of " << receptorAtoms + ligandAtoms << " atoms to "
                      << dumpFile << std::endl;
            return 0;
        }
        AffinityModel model = AffinityModel::fromFile(modelFile);
        model.setMatmulPrecision(AffinityProperties::parse({{"matmulPrecision", matmulPrecision}}).matmulPrecision);
        const torch::ScalarType dtype = model.parameterDtype();
        AffinityScorer scorer(model, complex.atomicNumbers, complex.ligandMask, device, dtype);
        scorer.setUseCUDAGraphs(batchGraphs);
        std::stringstream title;
        title << "Pose benchmark: " << (receptorAtoms + ligandAtoms) << " atoms on " << deviceName << ", "
              << torch::toString(dtype) << " model, " << model.trainableParameters().size() << " parameter tensors";
        if (matmulPrecision != "float32")
            title << ", " << matmulPrecision << " matrix products";
        BenchmarkReport report(title.str(), argc, argv);
        int64_t parameterCount = 0;
        for (auto& [name, p] : model.trainableParameters())
            parameterCount += p.numel();
        report.table("Model", {"parameters", "atoms", "supports_batch"});
        report.row({std::to_string(parameterCount), std::to_string(receptorAtoms + ligandAtoms),
                    model.supportsBatch() ? "yes" : "no"});

        // 1. Scoring.
        report.table("Scoring " + std::to_string(scorePoses) + " poses (after one warm-up pass)",
                     {"method", "batch", "poses/s", "ms/pose"});
        if (scorePoses > 0) {
            PoseEnsemble poses = complex.poses(scorePoses);
            const int batch = scorer.batchSize(batchSize, DefaultMemoryBudgetMiB, false);
            scorer.poseEnergies(poses, batch);
            const double seconds = secondsOf(device, [&] { scorer.poseEnergies(poses, batch); });
            report.row({"AffinityScorer::poseEnergies (batched)", std::to_string(batch),
                        BenchmarkReport::number(scorePoses / seconds, 1),
                        BenchmarkReport::number(1000.0 * seconds / scorePoses, 3)});
        }
        if (loopPoses > 0) {
            System system = makeSystem(complex, modelFile, false, matmulPrecision);
            LangevinMiddleIntegrator integrator(300.0, 1.0, 0.001);
            Context context(system, integrator, Platform::getPlatformByName(device.is_cuda() ? "CUDA" : "CPU"),
                            platformProperties);
            PoseEnsemble poses = complex.poses(loopPoses);
            auto loop = [&] {
                for (int p = 0; p < loopPoses; p++) {
                    const double* x = poses.getPosePositions(p);
                    std::vector<Vec3> positions;
                    for (int i = 0; i < poses.getNumAtoms(); i++)
                        positions.push_back(Vec3(x[3 * i], x[3 * i + 1], x[3 * i + 2]));
                    context.setPositions(positions);
                    context.getState(State::Energy);
                }
            };
            loop();
            const double seconds = secondsOf(device, loop);
            report.row({"Context.setPositions + getState(Energy) per pose", "1",
                        BenchmarkReport::number(loopPoses / seconds, 1),
                        BenchmarkReport::number(1000.0 * seconds / loopPoses, 3)});
        }

        // What the memory budget chooses (or --batch-size gives) for the batched passes.
        report.table("Poses per model call", {"pass", "batch", "memory budget MiB"});
        const std::string budget = BenchmarkReport::number(DefaultMemoryBudgetMiB, 0);
        report.row({"energies", std::to_string(scorer.batchSize(batchSize, DefaultMemoryBudgetMiB, false)), budget});
        report.row({"gradients", std::to_string(scorer.batchSize(batchSize, DefaultMemoryBudgetMiB, true)), budget});
        // store-all takes --batch-size as its poses side by side
        report.row({"side by side (store-all)",
                    std::to_string(scorer.posesSideBySide(batchSize, DefaultMemoryBudgetMiB)), budget});

        // 2. The combined gradient.
        report.table("Combined gradient (Boltzmann, MSE loss): time per pose and peak memory above the start",
                     {"strategy", "poses", "ms/pose", "peak MiB", "graphs MiB"});
        const std::vector<std::string> strategies = parseNames(strategiesText);
        for (int n : gradientPoses) {
            PoseEnsemble poses = complex.poses(n, 100 + n);
            for (const std::string& name : strategies) {
                if (name == "full-autograd" && n > fullMax) {
                    report.row({name, std::to_string(n), "skipped", "skipped", "skipped"});
                    continue;
                }
                auto work = [&] {
                    if (name == "full-autograd")
                        fullAutograd(scorer, poses, -30.0, scorer.batchSize(batchSize, DefaultMemoryBudgetMiB, false));
                    else {
                        CombinedGradientOptions options;
                        options.strategy = gradientStrategyFromName(name);
                        options.batchSize = batchSize;
                        combinedGradient(scorer, poses, BoltzmannCombination(), AffinityLoss(-30.0), options);
                    }
                };
                try {
                    // Warm-up: TorchScript profiles a new input shape on its first call and runs
                    // optimised code from the second; on a GPU the scorer's batched passes
                    // capture CUDA graphs on the third. The figures are steady state, and the
                    // peak memory counts what the graphs hold since before the warm-up.
                    scorer.releaseCUDAGraphs();
                    DeviceMemory::releaseCached(device);
                    const long long start = DeviceMemory::current(device), reserved = DeviceMemory::reserved(device);
                    for (int call = 0; call < 3; call++)
                        work();
                    const long long held = device.is_cuda() ? DeviceMemory::current(device) - start : 0;
                    long long memory = 0;
                    const double seconds = secondsOf(device, [&] { memory = peakMemoryOf(device, work) + held; });
                    // What the graphs keep between calls: their memory pools are not "allocated"
                    // outside a replay, but stay reserved when the allocator's cache is emptied.
                    DeviceMemory::releaseCached(device);
                    const long long graphs = device.is_cuda() ? DeviceMemory::reserved(device) - reserved -
                                                                    (DeviceMemory::current(device) - start)
                                                              : -1;
                    report.row({name, std::to_string(n), BenchmarkReport::number(1000.0 * seconds / n, 3), mib(memory),
                                mib(graphs)});
                    if (!gradientTraceFile.empty() && name == "two-pass" && n == gradientPoses.front())
                        recordTrace(device, gradientTraceFile, [&] {
                            for (int call = 0; call < 20; call++)
                                work();
                        });
                } catch (const std::exception& e) {
                    // The model's call wraps LibTorch's out-of-memory error in its own message.
                    if (std::string(e.what()).find("out of memory") == std::string::npos)
                        throw;
                    DeviceMemory::releaseCached(device); // leave the device usable for what follows
                    report.row({name, std::to_string(n), "out of memory", "out of memory", "out of memory"});
                }
            }
        }

        // 3. MD.
        if (mdSteps > 0) {
            report.table("MD with the AffinityForce alone (LangevinMiddleIntegrator, 1 fs, receptor fixed)",
                         {"platform", "CUDA graphs", "ms/step"});
            for (bool graphs : device.is_cuda() ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
                System system = makeSystem(complex, modelFile, graphs, matmulPrecision);
                LangevinMiddleIntegrator integrator(300.0, 1.0, 0.001);
                Platform& platform = Platform::getPlatformByName(device.is_cuda() ? "CUDA" : "CPU");
                Context context(system, integrator, platform, platformProperties);
                context.setPositions(complex.positions);
                warmUpSteps(integrator, context);
                const double seconds = secondsOfSteps(integrator, context, mdSteps);
                report.row({platform.getName(), graphs ? "on" : "off",
                            BenchmarkReport::number(1000.0 * seconds / mdSteps, 3)});
                if (!traceFile.empty() && graphs == device.is_cuda())
                    recordTrace(device, traceFile, [&] { secondsOfSteps(integrator, context, 20); });
            }
        }
        // 4. Sets of ligands.
        if (!setLigands.empty()) {
            if (!device.is_cuda() && setMmapKiB > 0) {
                mallopt(M_MMAP_THRESHOLD, setMmapKiB * 1024);
                mallopt(M_TRIM_THRESHOLD, setMmapKiB * 1024);
            }
            report.table("Combined gradient over a set of L ligands (two-pass, Boltzmann, MSE over the set), " +
                             std::to_string(setPoses) + " poses each: time per pose and peak memory above the start",
                         {"ligands L", "poses in all", "ms/pose", "peak MiB", "scorers keep MiB"});
            for (int count : setLigands)
                benchmarkLigandSet(report, model, device, dtype, receptorAtoms, ligandAtoms, count, setPoses,
                                   batchSize);
        }
        if (recordResults)
            report.record(resultsFile);
    } catch (const std::exception& e) {
        std::cerr << "affinity-pose-benchmark: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
