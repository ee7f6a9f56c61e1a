#include "AffinityModel.h"
#include "AffinityUnits.h"
#include "FilterConvolution.h"
#include "openmm/OpenMMException.h"
#include <fstream>
#include <optional>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

std::string describe(const torch::Tensor& t) {
    std::stringstream s;
    s << t.sizes() << " " << t.dtype();
    return s.str();
}

// A module attribute or a constant (torch.jit.Final) of that name, if the module has one.
std::optional<c10::IValue> findAttribute(const torch::jit::Module& module, const std::string& name) {
    if (module.hasattr(name))
        return module.attr(name);
    const auto& type = module.type();
    if (type->hasConstant(name))
        return type->getConstant(name);
    return std::nullopt;
}

} // namespace

AffinityModel AffinityModel::fromBytes(const std::string& bytes, const std::string& origin) {
    // Reading a model compiles its code, which must find the operators it may call
    // (affinity::filter_convolution) registered: naming their library here keeps it loaded
    // with the core library even where the linker drops libraries nothing refers to.
    (void)filterConvolutionHasCudaKernels();
    std::istringstream in(bytes);
    torch::jit::Module module;
    try {
        module = torch::jit::load(in, torch::kCPU);
    } catch (const c10::Error& e) {
        throw OpenMMException("AffinityForce: cannot load the model from " + origin +
                              "; expected a TorchScript file written by torch.jit.save: " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw OpenMMException("AffinityForce: cannot load the model from " + origin +
                              "; expected a TorchScript file written by torch.jit.save: " + e.what());
    }
    return AffinityModel(module, origin);
}

AffinityModel AffinityModel::fromFile(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw OpenMMException("AffinityForce: cannot open model file '" + file +
                              "'; expected a readable TorchScript file (torch.jit.save)");
    std::stringstream bytes;
    bytes << in.rdbuf();
    return fromBytes(bytes.str(), "'" + file + "'");
}

AffinityModel::AffinityModel(torch::jit::Module m, std::string o) : module(std::move(m)), origin(std::move(o)) {
    auto forward = module.find_method("forward");
    if (!forward)
        throw OpenMMException("AffinityForce: the model from " + origin + " has no forward method");
    const c10::FunctionSchema& schema = forward->function().getSchema();
    const auto& args = schema.arguments();
    const int arity = (int)args.size() - 1; // arguments()[0] is self
    if (arity == 1)
        contract = ModelContract::PositionsOnly;
    else if (arity == 3)
        contract = ModelContract::PositionsAtomicNumbersLigandMask;
    else {
        std::stringstream msg;
        msg << "AffinityForce: the forward method of the model from " << origin << " takes " << arity << " arguments ("
            << schema << "); expected forward(positions) or forward(positions, "
            << "atomic_numbers, ligand_mask)";
        throw OpenMMException(msg.str());
    }
    for (int i = 1; i <= arity; i++)
        if (args[i].type()->kind() != c10::TypeKind::TensorType) {
            std::stringstream msg;
            msg << "AffinityForce: argument '" << args[i].name() << "' of the model's forward (" << schema
                << ") has type " << args[i].type()->str() << "; expected Tensor";
            throw OpenMMException(msg.str());
        }
    if (schema.returns().size() != 1 || schema.returns()[0].type()->kind() != c10::TypeKind::TensorType) {
        std::stringstream msg;
        msg << "AffinityForce: the model's forward (" << schema << ") must return one Tensor, the energy";
        throw OpenMMException(msg.str());
    }
    if (auto unit = findAttribute(module, "energy_unit")) {
        if (!unit->isString())
            throw OpenMMException("AffinityForce: the model's energy_unit attribute is not a string; expected "
                                  "\"kJ/mol\", \"kcal/mol\" or \"kT\"");
        const std::string name = unit->toStringRef();
        if (name == "kJ/mol")
            energyUnit = EnergyUnit::KJPerMol;
        else if (name == "kcal/mol")
            energyUnit = EnergyUnit::KcalPerMol;
        else if (name == "kT")
            energyUnit = EnergyUnit::KT;
        else
            throw OpenMMException("AffinityForce: the model's energy_unit is '" + name +
                                  "'; expected \"kJ/mol\", \"kcal/mol\" or \"kT\"");
    }
    if (auto supports = findAttribute(module, "supports_batch")) {
        if (!supports->isBool())
            throw OpenMMException("AffinityForce: the model's supports_batch attribute is not a bool");
        batch = supports->toBool();
    }
}

torch::ScalarType AffinityModel::parameterDtype() const {
    for (const auto& p : module.parameters())
        if (p.is_floating_point())
            return p.scalar_type();
    for (const auto& b : module.buffers())
        if (b.is_floating_point())
            return b.scalar_type();
    return torch::kFloat64;
}

void AffinityModel::to(const torch::Device& device, torch::ScalarType dtype) {
    module.to(device, dtype);
}

std::vector<std::pair<std::string, torch::Tensor>> AffinityModel::trainableParameters() const {
    std::vector<std::pair<std::string, torch::Tensor>> result;
    for (const auto& p : module.named_parameters(true))
        if (p.value.requires_grad())
            result.emplace_back(p.name, p.value);
    return result;
}

torch::Tensor AffinityModel::callForward(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                                         const torch::Tensor& ligandMask, int64_t expectedCount) {
    std::vector<c10::IValue> inputs{positions};
    if (contract == ModelContract::PositionsAtomicNumbersLigandMask) {
        inputs.emplace_back(atomicNumbers);
        inputs.emplace_back(ligandMask);
    }
    c10::IValue output;
    try {
        output = module.forward(inputs);
    } catch (const c10::Error& e) {
        throw OpenMMException("AffinityForce: the model from " + origin + " failed for positions " +
                              describe(positions) + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw OpenMMException("AffinityForce: the model from " + origin + " failed for positions " +
                              describe(positions) + ": " + e.what());
    }
    if (!output.isTensor())
        throw OpenMMException("AffinityForce: the model from " + origin + " returned " + output.tagKind() +
                              "; expected a Tensor of energies");
    torch::Tensor energy = output.toTensor();
    if (energy.numel() != expectedCount || !energy.is_floating_point()) {
        std::stringstream msg;
        msg << "AffinityForce: the model from " << origin << " returned a tensor " << describe(energy)
            << " for positions " << describe(positions) << "; expected "
            << (expectedCount == 1 && positions.dim() == 2 ? "a scalar energy" : "one energy per pose");
        throw OpenMMException(msg.str());
    }
    return energy.reshape({expectedCount});
}

void AffinityModel::checkFinite(const torch::Tensor& energies) const {
    torch::Tensor finite = torch::isfinite(energies.detach());
    if (finite.all().item<bool>())
        return;
    const int64_t bad = (~finite).nonzero()[0].item<int64_t>();
    std::stringstream msg;
    msg << "AffinityForce: the model from " << origin << " returned a non-finite energy ("
        << energies[bad].item<double>() << ") for pose " << bad << "; expected a finite energy";
    throw OpenMMException(msg.str());
}

torch::Tensor AffinityModel::energies(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                                      const torch::Tensor& ligandMask, double temperature, bool checkFinite) {
    TORCH_CHECK(positions.dim() == 3 && positions.size(2) == 3, "positions must be [B,N,3]");
    const int64_t numPoses = positions.size(0);
    torch::Tensor result;
    if (batch)
        result = callForward(positions, atomicNumbers, ligandMask, numPoses);
    else {
        std::vector<torch::Tensor> perPose;
        perPose.reserve(numPoses);
        for (int64_t b = 0; b < numPoses; b++)
            perPose.push_back(callForward(positions[b], atomicNumbers, ligandMask, 1));
        result = torch::cat(perPose);
    }
    // One check per call: a non-finite energy would poison the integrator or a combination.
    if (checkFinite)
        this->checkFinite(result);
    switch (energyUnit) {
    case EnergyUnit::KJPerMol:
        return result;
    case EnergyUnit::KcalPerMol:
        return result * KJPerKcal;
    case EnergyUnit::KT:
        return result * (BoltzmannKJPerMolK * temperature);
    }
    return result;
}
