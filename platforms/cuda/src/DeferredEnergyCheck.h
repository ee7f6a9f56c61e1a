// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_DEFERRED_ENERGY_CHECK_H_
#define OPENMM_AFFINITY_DEFERRED_ENERGY_CHECK_H_

#include <ATen/cuda/CUDAEvent.h>
#include <torch/script.h>

namespace AffinityPlugin {

/**
 * Checks the energies of MD steps whose energy OpenMM did not ask for, without making the host
 * wait for them: each step's energy is copied to pinned host memory behind the step, and the
 * copy is looked at by a later call once the device has finished it. A model that returns a
 * non-finite energy is so reported a step or a few late, rather than never, and a healthy step
 * pays for no synchronisation.
 */
class DeferredEnergyCheck {
public:
    /** Queue a copy of `energy` (on the device) on the current stream. */
    void watch(const torch::Tensor& energy) {
        if (!host.defined())
            host = torch::empty(energy.sizes(), energy.options().device(torch::kCPU).pinned_memory(true));
        // Detached: a copy from the model's output would record it in autograd and chain every
        // step's graph to the last through `host`, keeping all their saved tensors alive.
        host.copy_(energy.detach(), /*non_blocking=*/true);
        copied.record();
        pending = true;
    }
    /**
     * The energy of the latest watched step if its copy has arrived and was not yet returned
     * (then it is returned once), else an undefined tensor. Never waits.
     */
    torch::Tensor arrived() {
        if (!pending || !copied.query())
            return {};
        pending = false;
        return host;
    }

private:
    torch::Tensor host;
    at::cuda::CUDAEvent copied;
    bool pending = false;
};

} // namespace AffinityPlugin

#endif
