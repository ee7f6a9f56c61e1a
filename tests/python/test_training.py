# SPDX-License-Identifier: MIT
"""A training loop in Python on the exported gradients: 50 Adam steps on a tiny synthetic
dataset of pose groups (three ligands, each with its own topology and poses, and a target ΔG)
lower the loss, and match the same loop done entirely in PyTorch."""

import numpy as np
import pytest
import torch

import openmmaffinity
from openmmaffinity import AffinityLoss, BoltzmannCombination
from scripted_models import complex_poses, complex_topology, scripted_contact_model, torch_combination

TEMPERATURE = 300.0
STEPS = 50


def dataset():
    """(atomic numbers, ligand mask, poses [P,N,3], target ΔG in kJ/mol) per ligand."""
    ligands = [((6, 6, 8, 7, 1), 4, -8.0), ((6, 8, 8), 3, -4.0), ((7, 6, 6, 6, 9, 1), 5, -11.0)]
    groups = []
    for seed, (ligand, num_poses, target) in enumerate(ligands):
        numbers, mask = complex_topology(ligand=ligand)
        poses = complex_poses(num_poses, num_ligand=len(ligand), seed=100 + seed)
        groups.append((numbers, mask, poses, target))
    return groups


def train_with_exported_gradients(model, groups, strategy):
    scorers = [openmmaffinity.Scorer(model, numbers, mask, temperature=TEMPERATURE) for numbers, mask, _, _ in groups]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        total = 0.0
        for scorer, (_, _, poses, target) in zip(scorers, groups):
            result = scorer.combined_gradient(poses, BoltzmannCombination(), AffinityLoss(target), strategy=strategy)
            result.add_to_grad(model)
            total += result.loss
        losses.append(total)
        optimizer.step()
    return losses


def train_in_pytorch(model, groups):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        total = 0.0
        for numbers, mask, poses, target in groups:
            energies = model(torch.as_tensor(poses), torch.as_tensor(numbers), torch.as_tensor(mask))
            total = total + (torch_combination(energies, "boltzmann", TEMPERATURE) - target) ** 2
        total.backward()
        losses.append(total.item())
        optimizer.step()
    return losses


@pytest.mark.parametrize("strategy", ["two-pass", "one-pass"])
def test_adam_on_exported_gradients_matches_pytorch(strategy):
    groups = dataset()
    exported_model, torch_model = scripted_contact_model(seed=5), scripted_contact_model(seed=5)
    exported = train_with_exported_gradients(exported_model, groups, strategy)
    reference = train_in_pytorch(torch_model, groups)
    assert exported[-1] < 0.1 * exported[0]
    np.testing.assert_allclose(exported, reference, rtol=1e-6)
    for (name, trained), (_, expected) in zip(exported_model.named_parameters(), torch_model.named_parameters()):
        np.testing.assert_allclose(trained.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


def test_scorer_follows_the_module_it_was_made_from():
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    poses = complex_poses(3)
    following = openmmaffinity.Scorer(model, numbers, mask)
    frozen = openmmaffinity.Scorer(model, numbers, mask, follow_module=False)
    before = following.pose_energies(poses)
    with torch.no_grad():
        model.radial.weight.mul_(2.0)
        model.radial.bias.mul_(2.0)
    expected = model(torch.as_tensor(poses), torch.as_tensor(numbers), torch.as_tensor(mask)).detach().numpy()
    np.testing.assert_allclose(following.pose_energies(poses), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, 2.0 * before, rtol=1e-12)
    np.testing.assert_allclose(frozen.pose_energies(poses), before, rtol=1e-12)
    frozen.load_state_dict(model.state_dict())
    np.testing.assert_allclose(frozen.pose_energies(poses), expected, rtol=1e-12)
