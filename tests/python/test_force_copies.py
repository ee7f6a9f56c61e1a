# SPDX-License-Identifier: MIT
"""copy.copy, copy.deepcopy and pickle of an AffinityForce give a working, independent Force, as
they do for OpenMM's own Forces (through XmlSerializer)."""

import copy
import pickle

import numpy as np
import openmm
import pytest

import openmmaffinity as oa
from scripted_models import complex_poses, complex_topology, scripted_contact_model


def make_force():
    numbers, mask = complex_topology()
    force = oa.AffinityForce(scripted_contact_model(), {"poseBatchSize": "3"})
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    force.setTemperature(310.0)
    return force


def energy(force):
    system = openmm.System()
    for _ in range(force.getNumParticles()):
        system.addParticle(12.0)
    system.addForce(force)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(complex_poses(1)[0])
    return context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(openmm.unit.kilojoule_per_mole)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda f: pickle.loads(pickle.dumps(f))],
                         ids=["copy", "deepcopy", "pickle"])
def test_a_copy_is_a_working_independent_force(duplicate):
    original = make_force()
    expected = energy(make_force())
    duplicated = duplicate(original)
    assert isinstance(duplicated, oa.AffinityForce) and isinstance(duplicated, openmm.Force)
    assert duplicated.getAtomicNumbers() == original.getAtomicNumbers()
    assert duplicated.getLigandMask() == original.getLigandMask()
    assert duplicated.getTemperature() == 310.0
    assert duplicated.getProperties()["poseBatchSize"] == "3"
    assert duplicated.getModelBytes() == original.getModelBytes()
    # Independent: changing the copy leaves the original as it was.
    duplicated.setTemperature(290.0)
    assert original.getTemperature() == 310.0
    assert energy(duplicated) == pytest.approx(expected, rel=1e-12)


def test_copies_outlive_the_original():
    original = make_force()
    duplicated = copy.deepcopy(original)
    del original
    assert duplicated.getNumParticles() == len(complex_topology()[0])


def test_a_system_holding_the_force_deep_copies():
    system = openmm.System()
    force = make_force()
    for _ in range(force.getNumParticles()):
        system.addParticle(12.0)
    system.addForce(force)
    copied_system = copy.deepcopy(system)
    copied = oa.AffinityForce.cast(copied_system.getForce(0))
    assert copied.getAtomicNumbers() == force.getAtomicNumbers()
