// SPDX-License-Identifier: MIT
#include "HostAffinityKernel.h"
#include "internal/ForceBinding.h"
#include "openmm/OpenMMException.h"
#include "openmm/internal/ContextImpl.h"
#include "openmm/reference/ReferencePlatform.h"
#include <ATen/Parallel.h>
#include <cmath>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using namespace OpenMM;

struct HostAffinityKernel::State {
    ForceBinding binding;
};

HostAffinityKernel::HostAffinityKernel(const std::string& name, const Platform& platform, bool alwaysDouble,
                                       int numThreads)
    : CalcAffinityForceKernel(name, platform), alwaysDouble(alwaysDouble), numThreads(numThreads) {}

HostAffinityKernel::~HostAffinityKernel() = default;

void HostAffinityKernel::initialize(const System& system, const AffinityForce& force) {
    if (numThreads > 0)
        at::set_num_threads(numThreads);
    const std::optional<torch::ScalarType> dtype =
        alwaysDouble ? std::optional<torch::ScalarType>(torch::kFloat64) : std::nullopt;
    state.reset(new State{ForceBinding::of(force, system, torch::kCPU, dtype)});
}

double HostAffinityKernel::execute(ContextImpl& context, bool includeForces, bool includeEnergy) {
    auto* data = reinterpret_cast<ReferencePlatform::PlatformData*>(context.getPlatformData());
    const std::vector<Vec3>& positions = *data->positions;
    ForceBinding& binding = state->binding;
    const std::vector<int>& indices = binding.particles.systemIndices;
    const int numAtoms = (int)indices.size();

    torch::Tensor x = torch::empty({numAtoms, 3}, torch::kFloat64);
    double* xs = x.data_ptr<double>();
    for (int i = 0; i < numAtoms; i++)
        for (int k = 0; k < 3; k++) {
            xs[3 * i + k] = positions[indices[i]][k];
            if (!std::isfinite(xs[3 * i + k]))
                binding.reportNonFinitePosition(i);
        }
    torch::Tensor box;
    if (binding.periodic) {
        Vec3 a, b, c;
        context.getPeriodicBoxVectors(a, b, c);
        box = boxTensor(a, b, c, x.options().dtype(binding.scorer.getDtype()));
    }
    binding.scorer.setGlobalParameters(binding.globalParameterValues(context));
    const ForceEvaluation result =
        binding.evaluate(x.to(binding.scorer.getDtype()), box, includeForces, /*checkFinite=*/true);
    if (includeForces) {
        torch::Tensor f = result.forces.to(torch::kFloat64).contiguous();
        const double* fs = f.data_ptr<double>();
        std::vector<Vec3>& forces = *data->forces;
        for (int i = 0; i < numAtoms; i++)
            forces[indices[i]] += Vec3(fs[3 * i], fs[3 * i + 1], fs[3 * i + 2]);
    }
    if (result.parameterDerivatives.defined()) {
        torch::Tensor d = result.parameterDerivatives.to(torch::kFloat64).contiguous();
        std::map<std::string, double>& derivatives = *data->energyParameterDerivatives;
        for (size_t i = 0; i < binding.derivativeNames.size(); i++)
            derivatives[binding.derivativeNames[i]] += d.data_ptr<double>()[i];
    }
    return result.energy.item<double>();
}

void HostAffinityKernel::copyParametersToContext(ContextImpl& context, const AffinityForce& force) {
    state->binding.update(force, context.getSystem());
}

std::vector<double> HostAffinityKernel::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    ForceBinding& binding = state->binding;
    binding.setContextInputs(context);
    return binding.scorer.poseEnergies(poses, binding.properties.poseBatchSize, binding.properties.poseMemoryBudgetMiB);
}
