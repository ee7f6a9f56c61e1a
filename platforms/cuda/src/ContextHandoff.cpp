// SPDX-License-Identifier: MIT
#include "ContextHandoff.h"
#include "PrimaryContextScope.h"
#include "openmm/common/ContextSelector.h"

using namespace AffinityPlugin;
using OpenMM::ContextSelector;

ContextHandoff::ContextHandoff(OpenMM::CudaContext& cu, CUcontext primary) : cu(cu), primary(primary) {
    {
        ContextSelector selector(cu);
        PrimaryContextScope::check(cuEventCreate(&openmmDone, CU_EVENT_DISABLE_TIMING), "create an event");
    }
    PrimaryContextScope scope(primary);
    PrimaryContextScope::check(cuEventCreate(&torchDone, CU_EVENT_DISABLE_TIMING), "create an event");
}

ContextHandoff::~ContextHandoff() {
    {
        ContextSelector selector(cu);
        cuEventDestroy(openmmDone);
    }
    PrimaryContextScope scope(primary);
    cuEventDestroy(torchDone);
}

void ContextHandoff::torchAfterOpenMM(CUstream torchStream) {
    {
        ContextSelector selector(cu);
        PrimaryContextScope::check(cuEventRecord(openmmDone, cu.getCurrentStream()),
                                   "record an event on OpenMM's stream");
    }
    PrimaryContextScope scope(primary);
    PrimaryContextScope::check(cuStreamWaitEvent(torchStream, openmmDone, 0), "order LibTorch's work after OpenMM's");
}

void ContextHandoff::openmmAfterTorch(CUstream torchStream) {
    {
        PrimaryContextScope scope(primary);
        PrimaryContextScope::check(cuEventRecord(torchDone, torchStream), "record an event on LibTorch's stream");
    }
    ContextSelector selector(cu);
    PrimaryContextScope::check(cuStreamWaitEvent(cu.getCurrentStream(), torchDone, 0),
                               "order OpenMM's work after LibTorch's");
}
