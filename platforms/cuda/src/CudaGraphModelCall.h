#ifndef OPENMM_AFFINITY_CUDA_GRAPH_MODEL_CALL_H_
#define OPENMM_AFFINITY_CUDA_GRAPH_MODEL_CALL_H_

#include "AffinityScorer.h"
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAStream.h>
#include <memory>
#include <utility>

namespace AffinityPlugin {

/**
 * The model's energy and position gradient for one configuration, captured in a CUDA graph
 * after a number of eager warm-up calls (TorchScript profiles and optimises the model during
 * its first calls, and LibTorch's allocator settles). Later calls copy the positions into the
 * captured input and replay the graph, which removes the launch cost of the model's many small
 * kernels. Capture and replay run on a stream of their own, ordered with the caller's stream
 * by events.
 */
class CudaGraphModelCall {
public:
    /**
     * @param scorer       the model on a CUDA device; it must outlive this object
     * @param numAtoms     the number of atoms the model sees
     * @param warmupCalls  eager calls before the capture, ≥ 1
     */
    CudaGraphModelCall(AffinityScorer& scorer, int numAtoms, int warmupCalls);
    /**
     * The energy [1] (kJ/mol) and its gradient [N,3] with respect to positions [N,3]. The
     * returned tensors are overwritten by the next call. The energy is not checked here: the
     * caller reads it back and checks it.
     */
    std::pair<torch::Tensor, torch::Tensor> run(const torch::Tensor& positions);

private:
    void evaluate();
    AffinityScorer& scorer;
    int warmupCalls;
    int calls = 0;
    c10::cuda::CUDAStream stream;
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    torch::Tensor input, energy, gradient;
};

} // namespace AffinityPlugin

#endif
