# SPDX-License-Identifier: MIT
"""An AffinityForce is an openmm.Force: XmlSerializer round trips of the force and of a System
holding it, pickling of the System (through XML), and casting back from System.getForce()."""

import copy
import pickle

import numpy as np
import openmm
import pytest
from openmm import unit

import openmmaffinity
from scripted_models import complex_poses, complex_topology, scripted_contact_model


def make_system(model):
    numbers, mask = complex_topology()
    system = openmm.System()
    for _ in numbers:
        system.addParticle(12.0)
    bonds = openmm.HarmonicBondForce()
    bonds.addBond(0, 1, 0.2, 100.0)
    system.addForce(bonds)
    force = openmmaffinity.AffinityForce(model, {"poseBatchSize": "2"})
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    force.setTemperature(310.0)
    force.setForceGroup(5)
    force.setName("affinity")
    system.addForce(force)
    return system


def affinity_energy(system, positions):
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(positions)
    state = context.getState(getEnergy=True, groups={5})
    return state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)


def assert_same_force(copied, original):
    assert copied.getModelBytes() == original.getModelBytes()
    assert copied.getNumParticles() == original.getNumParticles()
    for i in range(original.getNumParticles()):
        assert copied.getParticleParameters(i) == original.getParticleParameters(i)
    assert copied.getTemperature() == original.getTemperature()
    assert copied.getProperties() == original.getProperties()
    assert copied.getForceGroup() == original.getForceGroup()
    assert copied.getName() == original.getName()
    assert copied.usesPeriodicBoundaryConditions() == original.usesPeriodicBoundaryConditions()


def test_system_round_trip_through_xml():
    model = scripted_contact_model()
    system = make_system(model)
    original = openmmaffinity.AffinityForce.cast(system.getForce(1))
    xml = openmm.XmlSerializer.serialize(system)
    assert "AffinityForce" in xml
    restored_system = openmm.XmlSerializer.deserialize(xml)
    assert isinstance(restored_system, openmm.System)
    restored_force = restored_system.getForce(1)
    assert isinstance(restored_force, openmm.Force)
    assert openmmaffinity.AffinityForce.isinstance(restored_force)
    assert not openmmaffinity.AffinityForce.isinstance(restored_system.getForce(0))
    restored = openmmaffinity.AffinityForce.cast(restored_force)
    assert_same_force(restored, original)
    assert restored.getForceGroup() == 5
    positions = complex_poses(1)[0]
    assert affinity_energy(restored_system, positions) == affinity_energy(system, positions)


def test_force_round_trip_through_xml():
    force = openmmaffinity.AffinityForce(scripted_contact_model())
    numbers, mask = complex_topology()
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    force.setUsesPeriodicBoundaryConditions(True)
    # The Force that deserialize() returns is a temporary: cast() must keep it alive.
    restored = openmmaffinity.AffinityForce.cast(
        openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(force)))
    assert_same_force(restored, force)
    assert restored.usesPeriodicBoundaryConditions()


def test_pickled_and_copied_system_give_the_same_energy():
    system = make_system(scripted_contact_model())
    positions = complex_poses(1)[0]
    expected = affinity_energy(system, positions)
    for restored in (pickle.loads(pickle.dumps(system)), copy.deepcopy(system)):
        assert_same_force(openmmaffinity.AffinityForce.cast(restored.getForce(1)),
                          openmmaffinity.AffinityForce.cast(system.getForce(1)))
        assert affinity_energy(restored, positions) == expected


def test_cast_of_another_force_raises():
    system = make_system(scripted_contact_model())
    with pytest.raises(openmm.OpenMMException) as error:
        openmmaffinity.AffinityForce.cast(system.getForce(0))
    assert str(error.value) == "AffinityForce.cast: the force is a HarmonicBondForce; expected an AffinityForce"
