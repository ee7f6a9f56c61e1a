# SPDX-License-Identifier: MIT
"""An AffinityForce in an OpenMM simulation driven from Python: a System holding the force
alone, integrated with LangevinMiddleIntegrator on the Reference and CPU platforms; energies
and forces along the trajectory equal the same model run by PyTorch on the same positions and
the C++ scorer that needs no Context."""

import numpy as np
import openmm
import pytest
import torch
from openmm import unit

import openmmaffinity
from scripted_models import complex_poses, complex_topology, scripted_contact_model


def make_system(model):
    numbers, mask = complex_topology()
    system = openmm.System()
    for z in numbers:
        system.addParticle(1.008 if z == 1 else 2.0 * z)
    force = openmmaffinity.AffinityForce(model)
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    force.setForceGroup(3)
    system.addForce(force)
    return system, numbers, mask


def torch_energy_and_forces(model, positions, numbers, mask):
    x = torch.tensor(positions, dtype=torch.float64, requires_grad=True)
    energy = model(x, torch.as_tensor(numbers), torch.as_tensor(mask))
    (gradient,) = torch.autograd.grad(energy, x)
    return energy.item(), -gradient.numpy()


@pytest.mark.parametrize("platform_name", ["Reference", "CPU"])
def test_langevin_run_matches_pytorch(platform_name):
    model = scripted_contact_model()
    system, numbers, mask = make_system(model)
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 0.001 * unit.picoseconds)
    integrator.setRandomNumberSeed(2024)
    context = openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform_name))
    start = complex_poses(1)[0]
    context.setPositions(start * unit.nanometer)
    context.setVelocitiesToTemperature(300 * unit.kelvin, 5)
    force = openmmaffinity.AffinityForce.cast(system.getForce(0))
    scorer = openmmaffinity.Scorer.for_force(force)

    positions_seen, energies_seen = [], []
    for _ in range(10):
        integrator.step(10)
        state = context.getState(getEnergy=True, getForces=True, getPositions=True, groups={3})
        positions = state.getPositions(asNumpy=True).value_in_unit(unit.nanometer)
        energy = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        forces = state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
        expected_energy, expected_forces = torch_energy_and_forces(model, positions, numbers, mask)
        assert energy == pytest.approx(expected_energy, rel=1e-10, abs=1e-10)
        np.testing.assert_allclose(forces, expected_forces, rtol=1e-8, atol=1e-8)
        positions_seen.append(positions)
        energies_seen.append(energy)

    assert context.getStepCount() == 100
    assert context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
        unit.kilojoule_per_mole) == pytest.approx(energies_seen[-1], rel=1e-12)
    # The atoms moved, and the energy changed along the way: the run did something.
    assert np.abs(positions_seen[-1] - start).max() > 1e-3
    assert np.ptp(energies_seen) > 1e-6
    # The Context's platform and the Context-free scorer score the same positions alike.
    poses = np.array(positions_seen)
    np.testing.assert_allclose(force.computePoseEnergies(context, poses), energies_seen, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(scorer.pose_energies(poses), energies_seen, rtol=1e-10, atol=1e-10)


def test_positions_as_quantity_list_and_array_agree():
    model = scripted_contact_model()
    system, numbers, mask = make_system(model)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(complex_poses(1)[0])
    force = openmmaffinity.AffinityForce.cast(system.getForce(0))
    poses = complex_poses(3)
    expected = torch_energy_and_forces(model, poses[1], numbers, mask)[0]
    as_vec3 = [openmm.Vec3(*row) for row in poses[1]]
    for one_pose in (poses[1], poses[1].tolist(), as_vec3, as_vec3 * unit.nanometer,
                     (poses[1] * 10.0) * unit.angstrom, torch.tensor(poses[1])):
        assert force.computePoseEnergies(context, one_pose) == pytest.approx([expected], rel=1e-12)
    energies = force.computePoseEnergies(context, poses * unit.nanometer)
    assert energies.shape == (3,)
    assert energies[1] == pytest.approx(expected, rel=1e-12)


@pytest.mark.cuda
def test_cuda_platform_and_scorer_match_cpu():
    model = scripted_contact_model()
    system, numbers, mask = make_system(model)
    poses = complex_poses(6)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CUDA"))
    context.setPositions(poses[0])
    energy = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    cpu_energies = openmmaffinity.Scorer(model, numbers, mask).pose_energies(poses)
    assert energy == pytest.approx(cpu_energies[0], rel=1e-6)
    force = openmmaffinity.AffinityForce.cast(system.getForce(0))
    np.testing.assert_allclose(force.computePoseEnergies(context, poses), cpu_energies, rtol=1e-6)
    cuda_scorer = openmmaffinity.Scorer(model, numbers, mask, device="cuda")
    assert cuda_scorer.device.startswith("cuda")
    np.testing.assert_allclose(cuda_scorer.pose_energies(poses), cpu_energies, rtol=1e-10)
