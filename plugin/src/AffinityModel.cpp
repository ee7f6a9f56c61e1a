// SPDX-License-Identifier: MIT
#include "AffinityModel.h"
#include "AffinityUnits.h"
#include "FilterConvolution.h"
#include "internal/ModelBytes.h"
#include "internal/TorchScriptLoad.h"
#include "openmm/OpenMMException.h"
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

namespace {

torch::jit::Module loadModule(const std::string& bytes, const std::string& origin) {
    // Reading a model compiles its code, which must find the operators it may call
    // (affinity::filter_convolution) registered: naming their library here keeps it loaded
    // with the core library even where the linker drops libraries nothing refers to.
    (void)filterConvolutionHasCudaKernels();
    return loadTorchScript(bytes, "AffinityForce", origin);
}

} // namespace

void AffinityPlugin::checkModelLoads(const std::string& bytes, const std::string& origin) {
    const torch::jit::Module module = loadModule(bytes, origin);
    if (!module.find_method("forward"))
        throw OpenMMException("AffinityForce: the model from " + origin + " has no forward method");
}

AffinityModel AffinityModel::fromBytes(const std::string& bytes, const std::string& origin,
                                       const ForwardOptions& options) {
    return AffinityModel(loadModule(bytes, origin), origin, options);
}

AffinityModel AffinityModel::fromFile(const std::string& file) {
    return fromBytes(readModelFile(file), "'" + file + "'");
}

AffinityModel::AffinityModel(torch::jit::Module m, std::string o, const ForwardOptions& forwardOptions)
    : module(std::move(m)), origin(std::move(o)), options(forwardOptions) {
    auto forward = module.find_method("forward");
    if (!forward)
        throw OpenMMException("AffinityForce: the model from " + origin + " has no forward method");
    checkSignature(forward->function().getSchema());
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

void AffinityModel::checkSignature(const c10::FunctionSchema& schema) {
    const auto& args = schema.arguments(); // arguments()[0] is self
    const int arity = (int)args.size() - 1;
    for (int i = 1; i <= arity; i++) {
        const c10::TypePtr& type = args[i].type();
        const bool tensor =
            type->kind() == c10::TypeKind::TensorType ||
            (type->kind() == c10::TypeKind::OptionalType &&
             type->expectRef<c10::OptionalType>().getElementType()->kind() == c10::TypeKind::TensorType);
        if (!tensor) {
            std::stringstream msg;
            msg << "AffinityForce: argument '" << args[i].name() << "' of the model's forward (" << schema
                << ") has type " << type->str() << "; expected Tensor";
            throw OpenMMException(msg.str());
        }
    }
    const std::vector<std::string>& globals = options.globalParameterNames;
    const bool named = arity >= 3 && args[2].name() == "atomic_numbers" && args[3].name() == "ligand_mask";
    bool anyDefault = false;
    for (int i = 1; i <= arity; i++)
        anyDefault |= args[i].default_value().has_value();
    const bool threeRequired = arity == 3 && !anyDefault && globals.empty();
    contract =
        (named || threeRequired) ? ModelContract::PositionsAtomicNumbersLigandMask : ModelContract::PositionsOnly;
    // The arguments after the contract's own: the box (OpenMM-Torch contract, periodic) and the globals.
    const int first = contract == ModelContract::PositionsOnly ? 2 : 4;
    int required = 0, offered = 0;
    for (int i = first; i <= arity; i++, offered++)
        required += args[i].default_value().has_value() ? 0 : 1;
    const int numGlobals = (int)globals.size();
    boxArgument = contract == ModelContract::PositionsOnly && options.periodic && offered >= numGlobals + 1;
    const int passed = numGlobals + (boxArgument ? 1 : 0);
    if (arity >= 1 && passed >= required && passed <= offered) {
        checkReturns(schema);
        return;
    }
    std::stringstream msg;
    msg << "AffinityForce: the forward method of the model from " << origin << " takes " << arity
        << (arity == 1 ? " argument (" : " arguments (") << schema << ")";
    if (arity < 1) {
        msg << "; expected forward(positions) or forward(positions, atomic_numbers, ligand_mask)";
        throw OpenMMException(msg.str());
    }
    msg << "; the force passes "
        << (contract == ModelContract::PositionsOnly ? "positions"
                                                     : "positions, "
                                                       "atomic_numbers, ligand_mask");
    if (boxArgument)
        msg << ", the box";
    for (const std::string& name : globals)
        msg << ", " << name;
    if (passed > offered)
        msg << "; the force has global parameters that forward does not take (expected forward(positions"
            << (options.periodic && contract == ModelContract::PositionsOnly ? ", box" : "") << " followed by one "
            << "argument per global parameter, in the order they were added)";
    else if (contract == ModelContract::PositionsOnly && !options.periodic && required == numGlobals + 1)
        msg << "; a forward that takes the periodic box is given it only when the force uses periodic boundary "
               "conditions (setUsesPeriodicBoundaryConditions(true))";
    else
        msg << "; expected forward(positions), forward(positions, atomic_numbers, ligand_mask), each followed by "
               "the box when periodic (OpenMM-Torch contract only) and one argument per global parameter";
    throw OpenMMException(msg.str());
}

void AffinityModel::checkReturns(const c10::FunctionSchema& schema) const {
    const auto& returns = schema.returns();
    const bool one = returns.size() == 1;
    if (options.outputsForces) {
        bool pair = false;
        if (one && returns[0].type()->kind() == c10::TypeKind::TupleType) {
            const auto elements = returns[0].type()->expectRef<c10::TupleType>().elements();
            pair = elements.size() == 2 && elements[0]->kind() == c10::TypeKind::TensorType &&
                   elements[1]->kind() == c10::TypeKind::TensorType;
        }
        if (!pair) {
            std::stringstream msg;
            msg << "AffinityForce: the model's forward (" << schema << ") must return (energy, forces), a tuple of "
                << "two Tensors, because the force outputs forces (setOutputsForces(true))";
            throw OpenMMException(msg.str());
        }
        return;
    }
    if (!one || returns[0].type()->kind() != c10::TypeKind::TensorType) {
        std::stringstream msg;
        msg << "AffinityForce: the model's forward (" << schema << ") must return one Tensor, the energy";
        if (one && returns[0].type()->kind() == c10::TypeKind::TupleType)
            msg << " (for a model that returns (energy, forces), call setOutputsForces(true))";
        throw OpenMMException(msg.str());
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

void AffinityModel::freezeParameters() {
    for (torch::Tensor p : module.parameters())
        p.requires_grad_(false);
    // Tell a model that can use it: it may then keep what depends on its parameters alone.
    if (module.hasattr("parameters_frozen") && module.attr("parameters_frozen").isBool())
        module.setattr("parameters_frozen", true);
}

ModelOutput AffinityModel::callForward(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                                       const torch::Tensor& ligandMask, const ForwardExtras& extras,
                                       int64_t expectedCount) {
    std::vector<c10::IValue> inputs{positions};
    if (contract == ModelContract::PositionsAtomicNumbersLigandMask) {
        inputs.emplace_back(atomicNumbers);
        inputs.emplace_back(ligandMask);
    }
    if (boxArgument) {
        if (!extras.box.defined())
            throw OpenMMException("AffinityForce: the model from " + origin +
                                  " takes the periodic box, but none was given; expected a [3,3] box in nm");
        inputs.emplace_back(extras.box);
    }
    const int numGlobals = getNumGlobalParameters();
    if (numGlobals > 0 && (!extras.globals.defined() || extras.globals.numel() != numGlobals))
        throw OpenMMException("AffinityForce: the model from " + origin + " takes " + std::to_string(numGlobals) +
                              " global parameters, but they were not given");
    for (int i = 0; i < numGlobals; i++)
        inputs.emplace_back(extras.globals[i]);
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
    ModelOutput result;
    torch::Tensor energy;
    if (options.outputsForces) {
        const bool pair = output.isTuple() && output.toTupleRef().elements().size() == 2 &&
                          output.toTupleRef().elements()[0].isTensor() && output.toTupleRef().elements()[1].isTensor();
        if (!pair) {
            std::stringstream msg;
            msg << "AffinityForce: the model from " << origin << " returned " << output.tagKind();
            if (output.isTuple())
                msg << " of " << output.toTupleRef().elements().size() << " elements";
            msg << "; expected a tuple (energy, forces) of two Tensors";
            throw OpenMMException(msg.str());
        }
        energy = output.toTupleRef().elements()[0].toTensor();
        result.forces = output.toTupleRef().elements()[1].toTensor();
        if (result.forces.sizes() != positions.sizes() || !result.forces.is_floating_point()) {
            std::stringstream msg;
            msg << "AffinityForce: the model from " << origin << " returned forces " << describe(result.forces)
                << " for positions " << describe(positions) << "; expected forces shaped like the positions";
            throw OpenMMException(msg.str());
        }
    } else {
        if (!output.isTensor())
            throw OpenMMException("AffinityForce: the model from " + origin + " returned " + output.tagKind() +
                                  "; expected a Tensor of energies");
        energy = output.toTensor();
    }
    if (energy.numel() != expectedCount || !energy.is_floating_point()) {
        std::stringstream msg;
        msg << "AffinityForce: the model from " << origin << " returned a tensor " << describe(energy)
            << " for positions " << describe(positions) << "; expected "
            << (expectedCount == 1 && positions.dim() == 2 ? "a scalar energy" : "one energy per pose");
        throw OpenMMException(msg.str());
    }
    result.energies = energy.reshape({expectedCount});
    return result;
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

ModelOutput AffinityModel::outputs(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                                   const torch::Tensor& ligandMask, double temperature, bool checkFinite,
                                   const ForwardExtras& extras) {
    TORCH_CHECK(positions.dim() == 3 && positions.size(2) == 3, "positions must be [B,N,3]");
    const int64_t numPoses = positions.size(0);
    const MatmulPrecisionScope precision = matmulScope();
    ModelOutput result;
    if (batch)
        result = callForward(positions, atomicNumbers, ligandMask, extras, numPoses);
    else {
        std::vector<torch::Tensor> energies, forces;
        energies.reserve(numPoses);
        for (int64_t b = 0; b < numPoses; b++) {
            ModelOutput pose = callForward(positions[b], atomicNumbers, ligandMask, extras, 1);
            energies.push_back(pose.energies);
            if (pose.forces.defined())
                forces.push_back(pose.forces);
        }
        result.energies = torch::cat(energies);
        if (!forces.empty())
            result.forces = torch::stack(forces);
    }
    // One check per call: a non-finite energy would poison the integrator or a combination.
    if (checkFinite)
        this->checkFinite(result.energies);
    double factor = 1.0;
    switch (energyUnit) {
    case EnergyUnit::KJPerMol:
        return result;
    case EnergyUnit::KcalPerMol:
        factor = KJPerKcal;
        break;
    case EnergyUnit::KT:
        factor = BoltzmannKJPerMolK * temperature;
        break;
    }
    result.energies = result.energies * factor;
    if (result.forces.defined())
        result.forces = result.forces * factor;
    return result;
}
