// SPDX-License-Identifier: MIT
#include "internal/AffinityForceImpl.h"
#include "AffinityKernels.h"
#include "AffinityProperties.h"
#include "openmm/OpenMMException.h"
#include "openmm/internal/ContextImpl.h"
#include <set>
#include <sstream>

using namespace AffinityPlugin;
using namespace OpenMM;

AffinityForceImpl::AffinityForceImpl(const AffinityForce& owner) : owner(owner) {}

void AffinityForceImpl::initialize(ContextImpl& context) {
    // Checks that hold on every platform are made once, here, before any kernel exists.
    const System& system = context.getSystem();
    std::set<int> seen;
    for (int i = 0; i < owner.getNumParticles(); i++) {
        int systemIndex, atomicNumber;
        bool isLigand;
        owner.getParticleParameters(i, systemIndex, atomicNumber, isLigand);
        if (systemIndex < 0 || systemIndex >= system.getNumParticles()) {
            std::stringstream msg;
            msg << "AffinityForce: particle " << i << " has system index " << systemIndex << "; expected 0-"
                << system.getNumParticles() - 1 << " (the System has " << system.getNumParticles() << " particles)";
            throw OpenMMException(msg.str());
        }
        if (!seen.insert(systemIndex).second) {
            std::stringstream msg;
            msg << "AffinityForce: particle " << i << " repeats system index " << systemIndex
                << "; expected each system particle at most once";
            throw OpenMMException(msg.str());
        }
    }
    std::set<std::string> globals;
    for (int i = 0; i < owner.getNumGlobalParameters(); i++)
        if (!globals.insert(owner.getGlobalParameterName(i)).second)
            throw OpenMMException("AffinityForce: global parameter '" + owner.getGlobalParameterName(i) +
                                  "' is added twice; expected each name once");
    std::set<std::string> derivatives;
    for (int i = 0; i < owner.getNumEnergyParameterDerivatives(); i++) {
        const std::string& name = owner.getEnergyParameterDerivativeName(i);
        if (!derivatives.insert(name).second)
            throw OpenMMException("AffinityForce: energy parameter derivative '" + name +
                                  "' is added twice; expected each name once");
        if (globals.count(name) == 0) {
            std::string known;
            for (const std::string& global : globals)
                known += (known.empty() ? "" : ", ") + global;
            throw OpenMMException("AffinityForce: energy parameter derivative '" + name +
                                  "' is not a global parameter of the force; expected one of: " +
                                  (known.empty() ? "(none; add it with addGlobalParameter())" : known));
        }
    }
    AffinityProperties::parse(owner.getProperties());
    kernel = context.getPlatform().createKernel(CalcAffinityForceKernel::Name(), context);
    kernel.getAs<CalcAffinityForceKernel>().initialize(system, owner);
}

double AffinityForceImpl::calcForcesAndEnergy(ContextImpl& context, bool includeForces, bool includeEnergy,
                                              int groups) {
    if ((groups & (1 << owner.getForceGroup())) == 0)
        return 0.0;
    return kernel.getAs<CalcAffinityForceKernel>().execute(context, includeForces, includeEnergy);
}

std::map<std::string, double> AffinityForceImpl::getDefaultParameters() {
    std::map<std::string, double> parameters;
    for (int i = 0; i < owner.getNumGlobalParameters(); i++)
        parameters[owner.getGlobalParameterName(i)] = owner.getGlobalParameterDefaultValue(i);
    return parameters;
}

std::vector<std::string> AffinityForceImpl::getKernelNames() {
    return {CalcAffinityForceKernel::Name()};
}

void AffinityForceImpl::updateParametersInContext(ContextImpl& context) {
    kernel.getAs<CalcAffinityForceKernel>().copyParametersToContext(context, owner);
    context.systemChanged();
}

std::vector<double> AffinityForceImpl::computePoseEnergies(ContextImpl& context, const PoseEnsemble& poses) {
    return kernel.getAs<CalcAffinityForceKernel>().computePoseEnergies(context, poses);
}
