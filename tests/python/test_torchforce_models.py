# SPDX-License-Identifier: MIT
"""Models written for OpenMM-Torch's TorchForce, run by AffinityForce from Python with the same
calls: forces output, global parameters with energy derivatives, the periodic box and
openmm-ml's optional box argument. Energies, forces and derivatives are compared with the same
module run by PyTorch (autograd) on the same inputs, on the Reference and CPU platforms."""

from typing import Optional, Tuple

import numpy as np
import openmm
import pytest
import torch
from openmm import unit

import openmmaffinity

PLATFORMS = ["Reference", "CPU"]
KJ = unit.kilojoule_per_mole
BOX = (openmm.Vec3(3.0, 0, 0), openmm.Vec3(0.3, 3.1, 0), openmm.Vec3(-0.2, 0.4, 2.9))


class Restraint(torch.nn.Module):
    """forward(positions, box, k, s) -> (energy, forces): every kind of extra argument."""

    def forward(self, positions, box, k, s: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        scale = k / box[0, 0] if s is None else k * s / box[0, 0]
        energy = 0.5 * scale * ((positions - 1.0) ** 2).sum()
        return energy, -scale * (positions.detach() - 1.0)


class GlobalModel(torch.nn.Module):
    def forward(self, positions, k, w):
        return k * torch.cos(w * positions).sum()


class OpenMMMLStyle(torch.nn.Module):
    def forward(self, positions, boxvectors: Optional[torch.Tensor] = None):
        energy = (positions ** 2).sum()
        if boxvectors is not None:
            energy = energy + boxvectors.sum()
        return energy


def make_system(module, count=5, periodic=False):
    system = openmm.System()
    for _ in range(count):
        system.addParticle(1.0)
    system.setDefaultPeriodicBoxVectors(*BOX)
    force = openmmaffinity.AffinityForce(torch.jit.script(module))
    force.setUsesPeriodicBoundaryConditions(periodic)
    system.addForce(force)
    return system, force


def positions(count=5, seed=4):
    return np.random.default_rng(seed).uniform(-1.0, 4.0, size=(count, 3))


def state_of(system, platform_name, x, parameters=None):
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName(platform_name))
    context.setPositions(x * unit.nanometer)
    for name, value in (parameters or {}).items():
        context.setParameter(name, value)
    return context, context.getState(getEnergy=True, getForces=True, getParameterDerivatives=True)


def box_tensor():
    return torch.tensor([[v[0], v[1], v[2]] for v in BOX], dtype=torch.float64)


@pytest.mark.parametrize("platform_name", PLATFORMS)
def test_global_parameters_and_derivatives_match_autograd(platform_name):
    system, force = make_system(GlobalModel())
    assert force.addGlobalParameter("k", 2.0) == 0
    assert force.addGlobalParameter("w", 1.5) == 1
    force.addEnergyParameterDerivative("w")
    assert force.getNumGlobalParameters() == 2 and force.getGlobalParameterName(1) == "w"
    assert force.getGlobalParameterDefaultValue(0) == 2.0
    assert force.getNumEnergyParameterDerivatives() == 1 and force.getEnergyParameterDerivativeName(0) == "w"
    x = positions()
    for k, w in [(2.0, 1.5), (-0.5, 0.8)]:
        _, state = state_of(system, platform_name, x, {"k": k, "w": w})
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        energy = GlobalModel()(xt, torch.tensor(k, dtype=torch.float64), wt)
        gx, gw = torch.autograd.grad(energy, [xt, wt])
        assert state.getPotentialEnergy().value_in_unit(KJ) == pytest.approx(energy.item(), rel=1e-12)
        np.testing.assert_allclose(state.getForces(asNumpy=True).value_in_unit(KJ / unit.nanometer), -gx.numpy(),
                                   rtol=1e-12, atol=1e-12)
        assert state.getEnergyParameterDerivatives()["w"] == pytest.approx(gw.item(), rel=1e-12)


@pytest.mark.parametrize("platform_name", PLATFORMS)
def test_box_globals_optional_argument_and_forces_output(platform_name):
    system, force = make_system(Restraint(), periodic=True)
    force.setOutputsForces(True)
    assert force.getOutputsForces()
    force.addGlobalParameter("k", 30.0)
    force.addEnergyParameterDerivative("k")
    x = positions()
    x[0] += 7.0  # outside the box: the model must see it where it is
    _, state = state_of(system, platform_name, x)
    energy, forces = Restraint()(torch.tensor(x), box_tensor(), torch.tensor(30.0, dtype=torch.float64))
    assert state.getPotentialEnergy().value_in_unit(KJ) == pytest.approx(energy.item(), rel=1e-12)
    np.testing.assert_allclose(state.getForces(asNumpy=True).value_in_unit(KJ / unit.nanometer), forces.numpy(),
                               rtol=1e-12)
    assert state.getEnergyParameterDerivatives()["k"] == pytest.approx(energy.item() / 30.0, rel=1e-12)


@pytest.mark.parametrize("periodic", [False, True])
def test_openmm_ml_optional_box(periodic):
    system, _ = make_system(OpenMMMLStyle(), periodic=periodic)
    x = positions()
    _, state = state_of(system, "Reference", x)
    expected = OpenMMMLStyle()(torch.tensor(x), box_tensor() if periodic else None)
    assert state.getPotentialEnergy().value_in_unit(KJ) == pytest.approx(expected.item(), rel=1e-12)


def test_xml_round_trip_keeps_globals_derivatives_and_flags():
    system, force = make_system(Restraint(), periodic=True)
    force.setOutputsForces(True)
    force.addGlobalParameter("k", 30.0)
    force.addGlobalParameter("s", 0.5)
    force.addEnergyParameterDerivative("k")
    copy = openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system))
    restored = openmmaffinity.AffinityForce.cast(copy.getForce(0))
    assert restored.getOutputsForces() and restored.usesPeriodicBoundaryConditions()
    assert [restored.getGlobalParameterName(i) for i in range(2)] == ["k", "s"]
    assert [restored.getGlobalParameterDefaultValue(i) for i in range(2)] == [30.0, 0.5]
    assert restored.getEnergyParameterDerivativeName(0) == "k"
    x = positions()
    _, a = state_of(system, "Reference", x)
    _, b = state_of(copy, "Reference", x)
    assert a.getPotentialEnergy() == b.getPotentialEnergy()
    assert a.getEnergyParameterDerivatives()["k"] == b.getEnergyParameterDerivatives()["k"]


def test_properties_list_defaults_and_reject_unknown_names():
    _, force = make_system(OpenMMMLStyle())
    assert force.getProperties() == {"useCUDAGraphs": "false", "CUDAGraphWarmupSteps": "10", "poseBatchSize": "0",
                                     "poseMemoryBudgetMiB": "1024", "matmulPrecision": "float32"}
    with pytest.raises(openmm.OpenMMException, match="unknown property 'useCudaGraphs'.*useCUDAGraphs"):
        force.setProperty("useCudaGraphs", "true")


def test_bad_models_are_reported_and_a_fixed_system_works():
    system, force = make_system(GlobalModel())
    force.addGlobalParameter("k", 1.0)
    integrator = openmm.VerletIntegrator(0.001)
    with pytest.raises(openmm.OpenMMException, match="takes 3 arguments"):
        openmm.Context(system, integrator, openmm.Platform.getPlatformByName("Reference"))
    force.addGlobalParameter("w", 1.0)
    _, state = state_of(system, "Reference", positions())
    assert np.isfinite(state.getPotentialEnergy().value_in_unit(KJ))
