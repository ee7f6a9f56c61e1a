// SPDX-License-Identifier: MIT
#include "internal/ForceBinding.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <sstream>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;

namespace {

bool needsTopology(const AffinityModel& model) {
    return model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask;
}

std::vector<std::string> globalNamesOf(const AffinityForce& force) {
    std::vector<std::string> names;
    for (int i = 0; i < force.getNumGlobalParameters(); i++)
        names.push_back(force.getGlobalParameterName(i));
    return names;
}

// The model a force holds, naming its file (if any) in messages. Here rather than in
// AffinityModel, which knows nothing of the Force that carries a model.
AffinityModel modelOf(const AffinityForce& force) {
    ForwardOptions options;
    options.globalParameterNames = globalNamesOf(force);
    options.periodic = force.usesPeriodicBoundaryConditions();
    options.outputsForces = force.getOutputsForces();
    return AffinityModel::fromBytes(force.getModelBytes(),
                                    force.getModelFile().empty() ? "model bytes" : "'" + force.getModelFile() + "'",
                                    options);
}

} // namespace

ForceBinding ForceBinding::of(const AffinityForce& force, const OpenMM::System& system, const torch::Device& device,
                              std::optional<torch::ScalarType> dtype) {
    AffinityProperties properties = AffinityProperties::parse(force.getProperties());
    AffinityModel model = modelOf(force);
    model.setMatmulPrecision(properties.matmulPrecision);
    // A Context asks for derivatives with respect to positions and global parameters only; the
    // model is its own (made from the force's bytes), so its weights need no gradients.
    model.freezeParameters();
    ForceParticles particles = ForceParticles::of(force, system, needsTopology(model));
    AffinityScorer scorer(model, particles.atomicNumbers, particles.ligandMask, device,
                          dtype.value_or(model.parameterDtype()), force.getTemperature());
    torch::Tensor ligandAtoms = ligandAtomIndices(particles.ligandMask, device);
    std::vector<std::string> globals = globalNamesOf(force);
    std::vector<std::string> derivatives;
    std::vector<int64_t> indices;
    for (int i = 0; i < force.getNumEnergyParameterDerivatives(); i++) {
        derivatives.push_back(force.getEnergyParameterDerivativeName(i));
        indices.push_back(std::find(globals.begin(), globals.end(), derivatives.back()) - globals.begin());
    }
    torch::Tensor derivativeIndices = torch::tensor(indices, torch::kInt64).to(scorer.getDevice());
    return ForceBinding{
        std::move(particles),   properties,        force.usesPeriodicBoundaryConditions(),
        std::move(scorer),      ligandAtoms,       std::move(globals),
        std::move(derivatives), derivativeIndices,
    };
}

std::vector<double> ForceBinding::globalParameterValues(OpenMM::ContextImpl& context) const {
    std::vector<double> values;
    values.reserve(globalParameterNames.size());
    for (const std::string& name : globalParameterNames)
        values.push_back(context.getParameter(name));
    return values;
}

void ForceBinding::setContextInputs(OpenMM::ContextImpl& context) {
    scorer.setGlobalParameters(globalParameterValues(context));
    if (scorer.getModel().takesBox()) {
        OpenMM::Vec3 a, b, c;
        context.getPeriodicBoxVectors(a, b, c);
        scorer.setBox(boxTensor(a, b, c, torch::TensorOptions().dtype(scorer.getDtype()).device(scorer.getDevice())));
    }
}

ForceEvaluation ForceBinding::evaluate(const torch::Tensor& positions, const torch::Tensor& box, bool includeForces,
                                       bool checkFinite) {
    AffinityModel& model = scorer.getModel();
    torch::Tensor x;
    {
        torch::NoGradGuard noGrad;
        x = modelPositions(positions, box).unsqueeze(0);
    }
    ForwardExtras extras{box, scorer.getExtras().globals};
    const bool derivatives = !derivativeNames.empty();
    const bool positionGradient = includeForces && !model.outputsForces();
    ForceEvaluation result;
    if (!positionGradient && !derivatives) {
        torch::NoGradGuard noGrad;
        ModelOutput output = scorer.outputs(x, extras, checkFinite);
        result.energy = output.energies;
        if (includeForces)
            result.forces = output.forces[0];
        return result;
    }
    torch::AutoGradMode gradMode(true);
    std::vector<torch::Tensor> inputs;
    if (positionGradient) {
        x = x.detach().requires_grad_(true);
        inputs.push_back(x);
    }
    if (derivatives) {
        extras.globals = extras.globals.detach().requires_grad_(true);
        inputs.push_back(extras.globals);
    }
    const MatmulPrecisionScope precision = scorer.getModel().matmulScope(); // for the backward pass
    ModelOutput output = scorer.outputs(x, extras, checkFinite);
    // allow_unused: a model whose energy does not depend on the positions or on a parameter has a
    // zero gradient there, not an error.
    std::vector<torch::Tensor> grads = torch::autograd::grad({output.energies}, inputs, {}, false, false, true);
    for (size_t i = 0; i < grads.size(); i++)
        if (!grads[i].defined())
            grads[i] = torch::zeros_like(inputs[i]);
    if (positionGradient)
        result.forces = -grads[0][0];
    else if (includeForces)
        result.forces = output.forces[0].detach();
    if (derivatives)
        result.parameterDerivatives = grads.back().index_select(0, derivativeIndices);
    result.energy = output.energies.detach();
    return result;
}

void ForceBinding::update(const AffinityForce& force, const OpenMM::System& system) {
    ForceParticles updated = particles.updatedBy(force, system, needsTopology(scorer.getModel()));
    scorer.setTopology(updated.atomicNumbers, updated.ligandMask);
    scorer.setTemperature(force.getTemperature());
    ligandAtoms = ligandAtomIndices(updated.ligandMask, scorer.getDevice());
    particles = std::move(updated);
}

void ForceBinding::reportNonFinitePosition(int particle) const {
    std::stringstream msg;
    msg << "AffinityForce: particle " << particle << " (system particle " << particles.systemIndices[particle]
        << ") has a non-finite position; expected finite positions in nm";
    throw OpenMM::OpenMMException(msg.str());
}

torch::Tensor ForceBinding::modelPositions(const torch::Tensor& positions, const OpenMM::Vec3& a, const OpenMM::Vec3& b,
                                           const OpenMM::Vec3& c) const {
    if (!periodic || scorer.getModel().takesBox())
        return positions;
    return modelPositions(positions, boxTensor(a, b, c, positions.options()));
}

torch::Tensor ForceBinding::modelPositions(const torch::Tensor& positions, const torch::Tensor& box) const {
    // A model that takes the box sees the positions as OpenMM holds them, as TorchForce's do.
    return periodic && !scorer.getModel().takesBox() ? imageAroundLigand(positions, box, ligandAtoms) : positions;
}
