// SPDX-License-Identifier: MIT
#include "ScoringModel.h"
#include "AffinityModel.h"
#include "AffinityScorer.h"
#include "ModelAttributes.h"
#include "TorchDevice.h"
#include "TorchPrecision.h"
#include "openmm/OpenMMException.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <sstream>
#include <torch/csrc/jit/runtime/graph_executor.h>

using namespace AffinityCli;
using AffinityPlugin::AffinityModel;
using OpenMM::OpenMMException;

namespace {

std::string unitName(AffinityPlugin::EnergyUnit unit) {
    switch (unit) {
    case AffinityPlugin::EnergyUnit::KcalPerMol:
        return "kcal/mol";
    case AffinityPlugin::EnergyUnit::KT:
        return "kT";
    default:
        return "kJ/mol";
    }
}

} // namespace

class ScoringModel::Impl {
public:
    Impl(const std::string& modelFile, const AffinityPlugin::DeviceName& deviceName, Precision precision,
         double temperature, int batchSize, double budgetMiB, int threads)
        : file(modelFile), model(loadModelFile(modelFile)), device(AffinityPlugin::torchDevice(deviceName)),
          temperature(temperature), batchSize(batchSize), budgetMiB(budgetMiB) {
        if (model.getContract() != AffinityPlugin::ModelContract::PositionsAtomicNumbersLigandMask)
            throw OpenMMException("the model " + modelFile +
                                  " has forward(positions), with its atoms baked in; expected forward(positions, "
                                  "atomic_numbers, ligand_mask), which can score any complex");
        dtype = torchDtype(precision, device, model.parameterDtype());
        model.to(device, dtype);
        model.setMatmulPrecision(matmulPrecision(precision));
        // Tensors of one pocket complex are small, so spreading each operation over threads
        // gains little, and OpenMP's waiting threads cost much when cores are busy (measured
        // on a shared 2-core machine: 4x slower with 2 threads than with 1).
        if (device.is_cpu())
            at::set_num_threads(threads);
        readDeclarations();
    }

    void readDeclarations() {
        torch::jit::Module& module = model.getModule();
        supported = intListAttribute(module, "supported_elements", file);
        training = declaredTrainingElements(module, file);
        convention = AffinityCli::declaredAtomConvention(module, file);
        pocketCutoff = AffinityCli::declaredPocketCutoff(module, file);
    }

    std::string description() const {
        std::stringstream s;
        s << file << " (" << unitName(model.getEnergyUnit()) << ", "
          << (model.supportsBatch() ? "batched" : "one pose per call") << ", " << device << ", "
          << (dtype == torch::kFloat64   ? "float64"
              : dtype == torch::kFloat32 ? "float32"
                                         : "other dtype");
        if (!supported.empty())
            s << ", " << supported.size() << " supported elements";
        s << ")";
        return s.str();
    }

    int firstUnknownElement(const std::vector<int>& numbers) const {
        if (supported.empty())
            return -1;
        for (size_t i = 0; i < numbers.size(); i++)
            if (!std::binary_search(supported.begin(), supported.end(), numbers[i]))
                return (int)i;
        return -1;
    }

    std::vector<double> energies(const AffinityPlugin::PoseEnsemble& complex) {
        // Each ligand is a complex of a new size, so shape-specialised graphs that the JIT
        // would profile and build for it would rarely be reused; run the graph as written.
        torch::jit::GraphOptimizerEnabledGuard optimizer(false);
        AffinityPlugin::AffinityScorer scorer(model, complex.getAtomicNumbers(), complex.getLigandMask(), device, dtype,
                                              temperature);
        return scorer.poseEnergies(complex, batchSize, budgetMiB);
    }

    std::string file;
    AffinityModel model;
    torch::Device device;
    torch::ScalarType dtype = torch::kFloat64;
    double temperature;
    int batchSize;
    double budgetMiB;
    std::vector<int> supported, training;
    std::string convention;
    double pocketCutoff = 0.0;
};

ScoringModel::ScoringModel(const std::string& modelFile, const AffinityPlugin::DeviceName& device, Precision precision,
                           double temperature, int batchSize, double budgetMiB, int threads)
    : impl(new Impl(modelFile, device, precision, temperature, batchSize, budgetMiB, threads)) {}

ScoringModel::~ScoringModel() = default;

std::string ScoringModel::description() const {
    return impl->description();
}

const std::string& ScoringModel::declaredAtomConvention() const {
    return impl->convention;
}

double ScoringModel::declaredPocketCutoff() const {
    return impl->pocketCutoff;
}

const std::vector<int>& ScoringModel::trainingElements() const {
    return impl->training;
}

const std::vector<int>& ScoringModel::supportedElements() const {
    return impl->supported;
}

int ScoringModel::firstUnknownElement(const std::vector<int>& atomicNumbers) const {
    return impl->firstUnknownElement(atomicNumbers);
}

std::vector<double> ScoringModel::energies(const AffinityPlugin::PoseEnsemble& complex) {
    return impl->energies(complex);
}
