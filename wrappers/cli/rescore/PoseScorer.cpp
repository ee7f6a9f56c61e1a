#include "PoseScorer.h"
#include "AffinityModel.h"
#include "AffinityScorer.h"
#include "ModelAttributes.h"
#include "openmm/OpenMMException.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/cuda.h>

using namespace AffinityRescore;
using AffinityPlugin::AffinityModel;
using OpenMM::OpenMMException;

namespace {

torch::Device parseDevice(const std::string& name) {
    try {
        torch::Device device(name);
        if (device.is_cuda() && !torch::cuda::is_available())
            throw OpenMMException("affinity-rescore: --device " + name +
                                  " asks for CUDA, but LibTorch finds no usable CUDA device here; expected cpu");
        if (device.is_cuda() && device.has_index() && device.index() >= (int)torch::cuda::device_count()) {
            std::stringstream msg;
            msg << "affinity-rescore: --device " << name << " names CUDA device " << (int)device.index() << "; only "
                << torch::cuda::device_count() << " are present";
            throw OpenMMException(msg.str());
        }
        if (!device.is_cpu() && !device.is_cuda())
            throw OpenMMException("affinity-rescore: --device " + name + " is neither cpu nor cuda[:i]");
        return device;
    } catch (const c10::Error&) {
        throw OpenMMException("affinity-rescore: --device is '" + name + "'; expected cpu, cuda or cuda:i");
    }
}

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

class PoseScorer::Impl {
public:
    Impl(const std::string& modelFile, const std::string& deviceName, const std::string& precision, double temperature,
         int batchSize, int threads)
        : file(modelFile), model(load(modelFile)), device(parseDevice(deviceName)), temperature(temperature),
          batchSize(batchSize) {
        if (model.getContract() != AffinityPlugin::ModelContract::PositionsAtomicNumbersLigandMask)
            throw OpenMMException("affinity-rescore: the model " + modelFile +
                                  " has forward(positions), with its atoms baked in; expected forward(positions, "
                                  "atomic_numbers, ligand_mask), which can score any complex");
        if (precision == "double" || (precision == "auto" && device.is_cpu()))
            dtype = torch::kFloat64;
        else if (precision == "single")
            dtype = torch::kFloat32;
        else
            dtype = model.parameterDtype();
        model.to(device, dtype);
        // Tensors of one pocket complex are small, so spreading each operation over threads
        // gains little, and OpenMP's waiting threads cost much when cores are busy (measured
        // on a shared 2-core machine: 4x slower with 2 threads than with 1).
        if (device.is_cpu())
            at::set_num_threads(threads);
        readDeclarations();
    }

    static AffinityModel load(const std::string& file) {
        if (!std::ifstream(file))
            throw OpenMMException("affinity-rescore: the model file " + file +
                                  " cannot be opened; expected a TorchScript file (torch.jit.save)");
        return AffinityModel::fromFile(file);
    }

    void readDeclarations() {
        torch::jit::Module& module = model.getModule();
        try {
            supported = intListAttribute(module, "supported_elements", file);
            training = AffinityRescore::declaredTrainingElements(module, file);
            convention = AffinityRescore::declaredAtomConvention(module, file);
            pocketCutoff = AffinityRescore::declaredPocketCutoff(module, file);
        } catch (const OpenMMException& e) {
            throw OpenMMException("affinity-rescore: " + std::string(e.what()));
        }
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
        return scorer.poseEnergies(complex, batchSize);
    }

    std::string file;
    AffinityModel model;
    torch::Device device;
    torch::ScalarType dtype = torch::kFloat64;
    double temperature;
    int batchSize;
    std::vector<int> supported, training;
    std::string convention;
    double pocketCutoff = 0.0;
};

PoseScorer::PoseScorer(const std::string& modelFile, const std::string& device, const std::string& precision,
                       double temperature, int batchSize, int threads)
    : impl(new Impl(modelFile, device, precision, temperature, batchSize, threads)) {}

PoseScorer::~PoseScorer() = default;

std::string PoseScorer::description() const {
    return impl->description();
}

const std::string& PoseScorer::declaredAtomConvention() const {
    return impl->convention;
}

double PoseScorer::declaredPocketCutoff() const {
    return impl->pocketCutoff;
}

const std::vector<int>& PoseScorer::trainingElements() const {
    return impl->training;
}

const std::vector<int>& PoseScorer::supportedElements() const {
    return impl->supported;
}

int PoseScorer::firstUnknownElement(const std::vector<int>& atomicNumbers) const {
    return impl->firstUnknownElement(atomicNumbers);
}

std::vector<double> PoseScorer::energies(const AffinityPlugin::PoseEnsemble& complex) {
    return impl->energies(complex);
}
