// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FORCE_IMPL_H_
#define OPENMM_AFFINITY_FORCE_IMPL_H_

#include "AffinityForce.h"
#include "openmm/Kernel.h"
#include "openmm/internal/ForceImpl.h"
#include <map>
#include <string>
#include <vector>

namespace AffinityPlugin {

class PoseEnsemble;

/**
 * The internal implementation of AffinityForce in one Context: it checks the force against
 * the System, asks the Context's platform for the kernel and forwards to it.
 */
class OPENMM_EXPORT_AFFINITY AffinityForceImpl : public OpenMM::ForceImpl {
public:
    explicit AffinityForceImpl(const AffinityForce& owner);
    void initialize(OpenMM::ContextImpl& context) override;
    const AffinityForce& getOwner() const override {
        return owner;
    }
    void updateContextState(OpenMM::ContextImpl& context, bool& forcesInvalid) override {}
    double calcForcesAndEnergy(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy,
                               int groups) override;
    /** The force's global parameters with their default values. */
    std::map<std::string, double> getDefaultParameters() override;
    std::vector<std::string> getKernelNames() override;
    void updateParametersInContext(OpenMM::ContextImpl& context);
    std::vector<double> computePoseEnergies(OpenMM::ContextImpl& context, const PoseEnsemble& poses);

private:
    const AffinityForce& owner;
    OpenMM::Kernel kernel;
};

} // namespace AffinityPlugin

#endif
