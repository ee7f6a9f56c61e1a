#include "CudaGraphModelCall.h"
#include "openmm/OpenMMException.h"
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/csrc/autograd/autograd.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

CudaGraphModelCall::CudaGraphModelCall(AffinityScorer& scorer, int numAtoms, int warmupCalls)
    : scorer(scorer), warmupCalls(warmupCalls),
      stream(c10::cuda::getStreamFromPool(false, scorer.getDevice().index())) {
    input = torch::zeros({1, numAtoms, 3}, torch::TensorOptions().dtype(scorer.getDtype()).device(scorer.getDevice()))
                .requires_grad_(true);
}

void CudaGraphModelCall::evaluate() {
    // Graph-safe: no value is read back to the host in here.
    energy = scorer.energies(input, /*checkFinite=*/false);
    gradient = torch::autograd::grad({energy}, {input})[0][0];
}

std::pair<torch::Tensor, torch::Tensor> CudaGraphModelCall::run(const torch::Tensor& positions) {
    const c10::cuda::CUDAStream caller = c10::cuda::getCurrentCUDAStream(scorer.getDevice().index());
    at::cuda::CUDAEvent ready;
    ready.record(caller);
    {
        c10::cuda::CUDAStreamGuard guard(stream);
        ready.block(stream);
        {
            torch::NoGradGuard noGrad;
            input.detach()[0].copy_(positions);
        }
        if (calls < warmupCalls)
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
                graph->capture_end();
            }
            graph->replay();
        }
        calls++;
        at::cuda::CUDAEvent done;
        done.record(stream);
        done.block(caller);
    }
    return {energy, gradient};
}
