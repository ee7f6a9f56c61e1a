# SPDX-License-Identifier: MIT
"""Bad input raises a Python exception with a clear message: argument errors (shapes, dtypes,
types) as ValueError or TypeError before anything reaches C++, errors the plugin finds as
openmm.OpenMMException carrying the C++ message unchanged."""

import numpy as np
import openmm
import pytest
import torch

import openmmaffinity
from openmmaffinity import AffinityLoss, MeanCombination
from scripted_models import ContactAffinity, complex_poses, complex_topology, scripted_contact_model


@pytest.fixture
def scorer():
    numbers, mask = complex_topology()
    return openmmaffinity.Scorer(scripted_contact_model(), numbers, mask)


@pytest.fixture
def force_and_context():
    numbers, mask = complex_topology()
    system = openmm.System()
    for _ in numbers:
        system.addParticle(12.0)
    force = openmmaffinity.AffinityForce(scripted_contact_model())
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    system.addForce(force)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    return force, context


def test_wrong_pose_shapes(scorer):
    poses = complex_poses(2)
    with pytest.raises(ValueError,
                       match=r"pose_energies: poses: expected an array of shape \[P,N,3\].*found shape \(2, 17, 2\)"):
        scorer.pose_energies(poses[..., :2])
    with pytest.raises(ValueError,
                       match=r"expected 17 atoms per pose, the atoms the model sees, found shape \(2, 16, 3\)"):
        scorer.combined_gradient(poses[:, 1:], MeanCombination(), 0.0)
    with pytest.raises(ValueError, match=r"found shape \(102,\)"):
        scorer.for_each_pose_gradient(poses.reshape(-1), print)
    with pytest.raises(ValueError, match=r"P >= 1, found shape \(0, 17, 3\)"):
        scorer.pose_energies(poses[:0])


def test_wrong_dtypes(scorer):
    numbers, mask = complex_topology()
    with pytest.raises(TypeError, match="poses: expected floating-point positions in nm, found dtype int64"):
        scorer.pose_energies(np.zeros((1, 17, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="poses: expected floating-point positions in nm, found dtype complex128"):
        scorer.pose_energies(np.zeros((1, 17, 3), dtype=np.complex128))
    with pytest.raises(TypeError, match="atomic_numbers: expected integers, found dtype float64"):
        openmmaffinity.Scorer(scripted_contact_model(), numbers.astype(float), mask)
    with pytest.raises(TypeError, match="ligand_mask: expected bools"):
        openmmaffinity.Scorer(scripted_contact_model(), numbers, np.full(len(numbers), 2))
    with pytest.raises(ValueError, match="found 17 atomic numbers and 16 flags"):
        openmmaffinity.Scorer(scripted_contact_model(), numbers, mask[1:])
    with pytest.raises(TypeError, match="poses: expected lengths \\(nm\\), found a Quantity in kelvin"):
        scorer.pose_energies(complex_poses(1) * openmm.unit.kelvin)


def test_non_scripted_module():
    numbers, mask = complex_topology()
    message = ("the model is a torch.nn.Module \\(ContactAffinity\\) that is not scripted; "
               "expected a torch.jit.ScriptModule")
    with pytest.raises(TypeError, match="AffinityForce: " + message):
        openmmaffinity.AffinityForce(ContactAffinity())
    with pytest.raises(TypeError, match="Scorer: " + message):
        openmmaffinity.Scorer(ContactAffinity(), numbers, mask)
    with pytest.raises(TypeError, match="AffinityForce: the model is a int; expected a TorchScript file path"):
        openmmaffinity.AffinityForce(42)


def test_bytes_that_are_not_a_model_are_refused_at_once():
    with pytest.raises(openmm.OpenMMException, match="cannot load the model from model bytes"):
        openmmaffinity.AffinityForce(b"garbage, not a TorchScript archive")


def test_invalid_context(force_and_context):
    force, context = force_and_context
    poses = complex_poses(2)
    with pytest.raises(TypeError, match="computePoseEnergies: context: expected an openmm.Context, found NoneType"):
        force.computePoseEnergies(None, poses)
    with pytest.raises(TypeError, match="found System"):
        force.computePoseEnergies(context.getSystem(), poses)
    other_system = openmm.System()
    for _ in range(poses.shape[1]):
        other_system.addParticle(12.0)
    other = openmm.Context(other_system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    with pytest.raises(openmm.OpenMMException):
        force.computePoseEnergies(other, poses)
    # A Context whose force was given different poses than it has particles.
    with pytest.raises(ValueError, match="expected 17 atoms per pose"):
        force.computePoseEnergies(context, poses[:, :5])


def test_plugin_errors_keep_the_cpp_message(scorer, tmp_path):
    missing = str(tmp_path / "missing.pt")
    with pytest.raises(openmm.OpenMMException) as error:
        openmmaffinity.AffinityForce(missing)
    assert str(error.value) == (
        "AffinityForce: cannot open model file '%s'; expected a readable TorchScript file (torch.jit.save)" % missing)
    force = openmmaffinity.AffinityForce(scripted_contact_model())
    with pytest.raises(openmm.OpenMMException) as error:
        force.addParticle(0, 0, False)
    assert str(error.value) == "AffinityForce: particle 0 has atomic number 0; expected 1-118"
    with pytest.raises(openmm.OpenMMException) as error:
        force.setTemperature(-1.0)
    assert str(error.value) == "AffinityForce: temperature is -1 K; expected a positive number of kelvin"
    poses = complex_poses(3)
    poses[1, 4, 2] = np.nan
    with pytest.raises(openmm.OpenMMException, match="pose 1"):
        scorer.pose_energies(poses)
    with pytest.raises(openmm.OpenMMException, match="device 'tpu:0' is not supported|device 'tpu:0' is not a device"):
        openmmaffinity.Scorer(scripted_contact_model(), *complex_topology(), device="tpu:0")
    with pytest.raises(openmm.OpenMMException, match="the model"):
        openmmaffinity.Scorer(b"PK\x03\x04 not a TorchScript archive" * 4, *complex_topology())


def test_other_argument_errors(scorer):
    poses = complex_poses(2)
    with pytest.raises(ValueError, match="strategy: expected one of store-all, two-pass, one-pass, found 'fast'"):
        scorer.combined_gradient(poses, MeanCombination(), 0.0, strategy="fast")
    expected = "combination: expected a MeanCombination, MaxCombination or BoltzmannCombination, found str"
    with pytest.raises(TypeError, match=expected):
        scorer.combined_gradient(poses, "mean", AffinityLoss(0.0))
    with pytest.raises(TypeError, match="loss: expected an AffinityLoss or a target ΔG in kJ/mol, found str"):
        scorer.combined_gradient(poses, MeanCombination(), "low")
    with pytest.raises(TypeError, match="callback: expected a callable, found int"):
        scorer.for_each_pose_gradient(poses, 3)
    with pytest.raises(ValueError, match="dtype: expected float32 or float64, found torch.float16"):
        openmmaffinity.Scorer(scripted_contact_model(), *complex_topology(), dtype=torch.float16)


def test_absent_cuda_device():
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(openmm.OpenMMException,
                       match="device 'cuda:%d' is not present; LibTorch sees %d CUDA device" % (count, count)):
        openmmaffinity.Scorer(scripted_contact_model(), *complex_topology(), device="cuda:%d" % count)
