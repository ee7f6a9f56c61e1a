#include "CudaForceStep.h"
#include "openmm/OpenMMException.h"
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;
using OpenMM::Vec3;

CudaForceStep::CudaForceStep(ForceBinding& binding, CudaParticleArrays& arrays, OpenMM::CudaContext& cu, bool useGraph,
                             int warmupCalls)
    : binding(binding), arrays(arrays), cu(cu), useGraph(useGraph), warmupCalls(warmupCalls) {
    if (binding.periodic)
        box = torch::zeros({3, 3}, torch::TensorOptions()
                                       .dtype(binding.scorer.getDtype())
                                       .device(binding.scorer.getDevice()));
}

void CudaForceStep::setBox(const Vec3& a, const Vec3& b, const Vec3& c) {
    if (!binding.periodic || (calls > 0 && a == boxVectors[0] && b == boxVectors[1] && c == boxVectors[2]))
        return;
    box.copy_(boxTensor(a, b, c, box.options()));
    boxVectors[0] = a;
    boxVectors[1] = b;
    boxVectors[2] = c;
}

void CudaForceStep::evaluate() {
    // Graph-safe: device work only, no value read back, no host data copied in.
    {
        torch::NoGradGuard noGrad;
        positionsTensor = binding.modelPositions(arrays.gatherPositions(cu, binding.scorer.getDtype()), box);
    }
    torch::Tensor leaf = positionsTensor.unsqueeze(0).detach().requires_grad_(true);
    torch::Tensor energy = binding.scorer.energies(leaf, /*checkFinite=*/false);
    arrays.addForces(cu, torch::autograd::grad({energy}, {leaf})[0][0]);
    energyTensor = energy.detach(); // the graph's tensors that the gradient did not need go now
}

void CudaForceStep::enqueue(const Vec3& a, const Vec3& b, const Vec3& c) {
    setBox(a, b, c);
    if (!useGraph || calls < warmupCalls)
        evaluate();
    else {
        if (!graph) {
            graph = std::make_unique<at::cuda::CUDAGraph>();
            graph->capture_begin();
            try {
                evaluate();
            } catch (const std::exception& e) {
                try {
                    graph->capture_end(); // leave the stream out of capture mode
                } catch (const std::exception&) {
                }
                graph.reset();
                throw OpenMMException(std::string("AffinityForce: the model could not be captured in a CUDA graph "
                                                  "(set useCUDAGraphs to false for this model): ") +
                                      e.what());
            }
            graph->capture_end(); // capture records the work without running it
        }
        graph->replay();
    }
    calls++;
}
