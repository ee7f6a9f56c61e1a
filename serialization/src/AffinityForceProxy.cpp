// SPDX-License-Identifier: MIT
#include "AffinityForceProxy.h"
#include "AffinityForce.h"
#include "Base64.h"
#include "Sha256.h"
#include "openmm/OpenMMException.h"
#include "openmm/serialization/SerializationNode.h"
#include <memory>

using namespace AffinityPlugin;
using namespace OpenMM;

AffinityForceProxy::AffinityForceProxy() : SerializationProxy("AffinityForce") {}

void AffinityForceProxy::serialize(const void* object, SerializationNode& node) const {
    const AffinityForce& force = *reinterpret_cast<const AffinityForce*>(object);
    const bool needsVersion2 =
        force.getOutputsForces() || force.getNumGlobalParameters() > 0 || force.getNumEnergyParameterDerivatives() > 0;
    node.setIntProperty("version", needsVersion2 ? 2 : 1);
    node.setStringProperty("name", force.getName());
    node.setIntProperty("forceGroup", force.getForceGroup());
    node.setBoolProperty("usesPeriodic", force.usesPeriodicBoundaryConditions());
    node.setDoubleProperty("temperature", force.getTemperature());
    node.setStringProperty("modelFile", force.getModelFile());
    node.setLongProperty("modelSize", (long long)force.getModelBytes().size());
    node.setStringProperty("model", base64Encode(force.getModelBytes()));
    // A property that earlier readers ignore, so the version stays what the rest of the XML needs.
    node.setStringProperty("modelSha256", sha256Hex(force.getModelBytes()));
    SerializationNode& particles = node.createChildNode("Particles");
    for (int i = 0; i < force.getNumParticles(); i++) {
        int systemIndex, atomicNumber;
        bool isLigand;
        force.getParticleParameters(i, systemIndex, atomicNumber, isLigand);
        particles.createChildNode("Particle")
            .setIntProperty("index", systemIndex)
            .setIntProperty("z", atomicNumber)
            .setBoolProperty("ligand", isLigand);
    }
    if (needsVersion2) {
        node.setBoolProperty("outputsForces", force.getOutputsForces());
        SerializationNode& globals = node.createChildNode("GlobalParameters");
        for (int i = 0; i < force.getNumGlobalParameters(); i++)
            globals.createChildNode("Parameter")
                .setStringProperty("name", force.getGlobalParameterName(i))
                .setDoubleProperty("default", force.getGlobalParameterDefaultValue(i));
        SerializationNode& derivatives = node.createChildNode("EnergyParameterDerivatives");
        for (int i = 0; i < force.getNumEnergyParameterDerivatives(); i++)
            derivatives.createChildNode("Parameter")
                .setStringProperty("name", force.getEnergyParameterDerivativeName(i));
    }
    SerializationNode& properties = node.createChildNode("Properties");
    for (const auto& [name, value] : force.getProperties())
        properties.createChildNode("Property").setStringProperty("name", name).setStringProperty("value", value);
}

void* AffinityForceProxy::deserialize(const SerializationNode& node) const {
    const int version = node.getIntProperty("version");
    if (version < 1 || version > Version)
        throw OpenMMException("AffinityForce: unsupported serialization version " + std::to_string(version) +
                              "; expected 1 to " + std::to_string(Version));
    const std::string bytes = base64Decode(node.getStringProperty("model"));
    const long long size = node.getLongProperty("modelSize");
    if ((long long)bytes.size() != size)
        throw OpenMMException("AffinityForce: the embedded model decodes to " + std::to_string(bytes.size()) +
                              " bytes; expected " + std::to_string(size) + " (the XML is truncated or corrupt)");
    // XML written before the checksum was recorded has none; its model is still checked as
    // every model is (AffinityForce::fromModelBytes).
    if (node.hasProperty("modelSha256")) {
        const std::string recorded = node.getStringProperty("modelSha256"), actual = sha256Hex(bytes);
        if (actual != recorded)
            throw OpenMMException("AffinityForce: the embedded model's SHA-256 is " + actual + "; the XML records " +
                                  recorded + " (the XML is damaged or its model was changed)");
    }
    std::unique_ptr<AffinityForce> force(AffinityForce::fromModelBytes(bytes));
    force->setName(node.getStringProperty("name", force->getName()));
    force->setForceGroup(node.getIntProperty("forceGroup", 0));
    force->setUsesPeriodicBoundaryConditions(node.getBoolProperty("usesPeriodic", false));
    force->setTemperature(node.getDoubleProperty("temperature"));
    for (const SerializationNode& particle : node.getChildNode("Particles").getChildren())
        force->addParticle(particle.getIntProperty("index"), particle.getIntProperty("z"),
                           particle.getBoolProperty("ligand"));
    if (version >= 2) {
        force->setOutputsForces(node.getBoolProperty("outputsForces"));
        for (const SerializationNode& global : node.getChildNode("GlobalParameters").getChildren())
            force->addGlobalParameter(global.getStringProperty("name"), global.getDoubleProperty("default"));
        for (const SerializationNode& derivative : node.getChildNode("EnergyParameterDerivatives").getChildren())
            force->addEnergyParameterDerivative(derivative.getStringProperty("name"));
    }
    for (const SerializationNode& property : node.getChildNode("Properties").getChildren())
        force->setProperty(property.getStringProperty("name"), property.getStringProperty("value"));
    return force.release();
}
