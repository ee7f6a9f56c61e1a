// SPDX-License-Identifier: MIT
#include "CudaForceStep.h"
#include "openmm/OpenMMException.h"
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;
using OpenMM::Vec3;

CudaForceStep::CudaForceStep(ForceBinding& binding, CudaParticleArrays& arrays, OpenMM::CudaContext& cu, bool useGraph,
                             int warmupCalls)
    : binding(binding), arrays(arrays), cu(cu), call(binding.scorer.getDevice(), warmupCalls, useGraph) {
    if (binding.periodic)
        box = torch::zeros({3, 3},
                           torch::TensorOptions().dtype(binding.scorer.getDtype()).device(binding.scorer.getDevice()));
}

void CudaForceStep::setBox(const Vec3& a, const Vec3& b, const Vec3& c) {
    if (!binding.periodic || (boxSet && a == boxVectors[0] && b == boxVectors[1] && c == boxVectors[2]))
        return;
    box.copy_(boxTensor(a, b, c, box.options()));
    boxVectors[0] = a;
    boxVectors[1] = b;
    boxVectors[2] = c;
    boxSet = true;
}

void CudaForceStep::evaluate() {
    // Graph-safe: device work only, no value read back, no host data copied in.
    {
        torch::NoGradGuard noGrad;
        positionsTensor = arrays.gatherPositions(cu, binding.scorer.getDtype());
    }
    ForceEvaluation result = binding.evaluate(positionsTensor, box, /*includeForces=*/true, /*checkFinite=*/false);
    arrays.addForces(cu, -result.forces);
    energyTensor = result.energy;
    derivativesTensor = result.parameterDerivatives;
}

void CudaForceStep::enqueue(const Vec3& a, const Vec3& b, const Vec3& c) {
    setBox(a, b, c);
    if (!call.run([this] { evaluate(); }))
        throw OpenMMException("AffinityForce: the model could not be captured in a CUDA graph (set useCUDAGraphs to "
                              "false for this model): " +
                              call.failure());
}
