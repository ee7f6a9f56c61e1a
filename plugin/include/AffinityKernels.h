// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_KERNELS_H_
#define OPENMM_AFFINITY_KERNELS_H_

#include "AffinityForce.h"
#include "PoseEnsemble.h"
#include "openmm/KernelImpl.h"
#include "openmm/Platform.h"
#include "openmm/System.h"
#include <string>
#include <vector>

namespace AffinityPlugin {

/**
 * The kernel that evaluates an AffinityForce. Each platform provides one implementation,
 * made by its kernel factory.
 */
class CalcAffinityForceKernel : public OpenMM::KernelImpl {
public:
    static std::string Name() {
        return "CalcAffinityForce";
    }
    CalcAffinityForceKernel(const std::string& name, const OpenMM::Platform& platform)
        : OpenMM::KernelImpl(name, platform) {}
    /**
     * Initialize the kernel: load the model and place it on the platform's device.
     *
     * @param system  the System this kernel will be applied to
     * @param force   the AffinityForce this kernel will evaluate
     */
    virtual void initialize(const OpenMM::System& system, const AffinityForce& force) = 0;
    /**
     * Execute the kernel to calculate the forces and/or energy.
     *
     * @param context        the context in which to execute this kernel
     * @param includeForces  true if forces should be calculated
     * @param includeEnergy  true if the energy should be calculated
     * @return the potential energy due to the force, in kJ/mol
     */
    virtual double execute(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy) = 0;
    /**
     * Copy changed parameters (temperature, atomic numbers, ligand flags) over to a context.
     */
    virtual void copyParametersToContext(OpenMM::ContextImpl& context, const AffinityForce& force) = 0;
    /**
     * Evaluate the model for each pose of an ensemble on this kernel's device, leaving the
     * context's positions untouched.
     *
     * @return the energy of each pose, in kJ/mol
     */
    virtual std::vector<double> computePoseEnergies(OpenMM::ContextImpl& context, const PoseEnsemble& poses) = 0;
};

} // namespace AffinityPlugin

#endif
