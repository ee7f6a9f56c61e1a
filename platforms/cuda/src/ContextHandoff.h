// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_CONTEXT_HANDOFF_H_
#define OPENMM_AFFINITY_CONTEXT_HANDOFF_H_

#include "openmm/cuda/CudaContext.h"
#include <cuda.h>

namespace AffinityPlugin {

/**
 * Orders work between OpenMM's CUDA context and the device's primary context, in which
 * LibTorch runs, on the device alone: an event recorded on one context's stream is waited for
 * by a stream of the other (cuStreamWaitEvent accepts an event of another context). The host
 * never waits, so it can queue the next step while the device still runs this one.
 */
class ContextHandoff {
public:
    ContextHandoff(OpenMM::CudaContext& cu, CUcontext primary);
    ~ContextHandoff();
    ContextHandoff(const ContextHandoff&) = delete;
    ContextHandoff& operator=(const ContextHandoff&) = delete;
    /** Work queued later on `torchStream` (primary context) waits for OpenMM's current stream. */
    void torchAfterOpenMM(CUstream torchStream);
    /** Work queued later on OpenMM's current stream waits for `torchStream`. */
    void openmmAfterTorch(CUstream torchStream);

private:
    OpenMM::CudaContext& cu;
    CUcontext primary;
    CUevent openmmDone = nullptr; // belongs to OpenMM's context
    CUevent torchDone = nullptr;  // belongs to the primary context
};

} // namespace AffinityPlugin

#endif
