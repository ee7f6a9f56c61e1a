// SPDX-License-Identifier: MIT
#include "AffinityForce.h"
#include "AffinityProperties.h"
#include "internal/AffinityForceImpl.h"
#include "internal/ModelBytes.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <sstream>

using namespace AffinityPlugin;
using namespace OpenMM;

namespace {

void checkAtomicNumber(int index, int atomicNumber) {
    if (atomicNumber < 1 || atomicNumber > 118) {
        std::stringstream msg;
        msg << "AffinityForce: particle " << index << " has atomic number " << atomicNumber << "; expected 1-118";
        throw OpenMMException(msg.str());
    }
}

} // namespace

AffinityForce::AffinityForce(const std::string& file, const std::map<std::string, std::string>& props)
    : modelBytes(readModelFile(file)), modelFile(file) {
    checkModelLoads(modelBytes, "'" + file + "'");
    setProperties(props);
}

void AffinityForce::setProperties(const std::map<std::string, std::string>& given) {
    properties = AffinityProperties::defaults();
    for (const auto& [name, value] : given)
        setProperty(name, value);
}

AffinityForce* AffinityForce::fromModelBytes(const std::string& bytes,
                                             const std::map<std::string, std::string>& props) {
    if (bytes.empty())
        throw OpenMMException("AffinityForce: the model bytes are empty; expected the contents of a TorchScript file");
    checkModelLoads(bytes, "model bytes");
    AffinityForce* force = new AffinityForce();
    force->modelBytes = bytes;
    try {
        force->setProperties(props);
    } catch (...) {
        delete force;
        throw;
    }
    return force;
}

int AffinityForce::addParticle(int systemIndex, int atomicNumber, bool isLigand) {
    checkAtomicNumber(getNumParticles(), atomicNumber);
    particles.push_back({systemIndex, atomicNumber, isLigand});
    return getNumParticles() - 1;
}

void AffinityForce::checkParticleIndex(int index) const {
    if (index < 0 || index >= getNumParticles()) {
        std::stringstream msg;
        msg << "AffinityForce: particle index " << index << " is out of range; the force has " << getNumParticles()
            << " particles";
        throw OpenMMException(msg.str());
    }
}

void AffinityForce::getParticleParameters(int index, int& systemIndex, int& atomicNumber, bool& isLigand) const {
    checkParticleIndex(index);
    systemIndex = particles[index].systemIndex;
    atomicNumber = particles[index].atomicNumber;
    isLigand = particles[index].isLigand;
}

void AffinityForce::setParticleParameters(int index, int systemIndex, int atomicNumber, bool isLigand) {
    checkParticleIndex(index);
    checkAtomicNumber(index, atomicNumber);
    particles[index] = {systemIndex, atomicNumber, isLigand};
}

std::vector<int> AffinityForce::getAtomicNumbers() const {
    std::vector<int> result;
    for (const ParticleInfo& p : particles)
        result.push_back(p.atomicNumber);
    return result;
}

std::vector<bool> AffinityForce::getLigandMask() const {
    std::vector<bool> result;
    for (const ParticleInfo& p : particles)
        result.push_back(p.isLigand);
    return result;
}

void AffinityForce::setTemperature(double kelvin) {
    if (!(kelvin > 0.0) || !std::isfinite(kelvin)) {
        std::stringstream msg;
        msg << "AffinityForce: temperature is " << kelvin << " K; expected a positive number of kelvin";
        throw OpenMMException(msg.str());
    }
    temperature = kelvin;
}

void AffinityForce::setProperty(const std::string& name, const std::string& value) {
    AffinityProperties::checkName(name);
    properties[name] = value;
}

void AffinityForce::checkGlobalParameterIndex(int index) const {
    if (index < 0 || index >= getNumGlobalParameters()) {
        std::stringstream msg;
        msg << "AffinityForce: global parameter index " << index << " is out of range; the force has "
            << getNumGlobalParameters() << " global parameters";
        throw OpenMMException(msg.str());
    }
}

int AffinityForce::addGlobalParameter(const std::string& name, double defaultValue) {
    globalParameters.push_back({name, defaultValue});
    return getNumGlobalParameters() - 1;
}

const std::string& AffinityForce::getGlobalParameterName(int index) const {
    checkGlobalParameterIndex(index);
    return globalParameters[index].name;
}

void AffinityForce::setGlobalParameterName(int index, const std::string& name) {
    checkGlobalParameterIndex(index);
    globalParameters[index].name = name;
}

double AffinityForce::getGlobalParameterDefaultValue(int index) const {
    checkGlobalParameterIndex(index);
    return globalParameters[index].defaultValue;
}

void AffinityForce::setGlobalParameterDefaultValue(int index, double defaultValue) {
    checkGlobalParameterIndex(index);
    globalParameters[index].defaultValue = defaultValue;
}

int AffinityForce::addEnergyParameterDerivative(const std::string& name) {
    energyParameterDerivatives.push_back(name);
    return getNumEnergyParameterDerivatives() - 1;
}

const std::string& AffinityForce::getEnergyParameterDerivativeName(int index) const {
    if (index < 0 || index >= getNumEnergyParameterDerivatives()) {
        std::stringstream msg;
        msg << "AffinityForce: energy parameter derivative index " << index << " is out of range; the force has "
            << getNumEnergyParameterDerivatives() << " energy parameter derivatives";
        throw OpenMMException(msg.str());
    }
    return energyParameterDerivatives[index];
}

void AffinityForce::updateParametersInContext(Context& context) {
    dynamic_cast<AffinityForceImpl&>(getImplInContext(context)).updateParametersInContext(getContextImpl(context));
}

std::vector<double> AffinityForce::computePoseEnergies(Context& context, const PoseEnsemble& poses) const {
    return dynamic_cast<AffinityForceImpl&>(getImplInContext(context))
        .computePoseEnergies(getContextImpl(context), poses);
}

ForceImpl* AffinityForce::createImpl() const {
    return new AffinityForceImpl(*this);
}
