# SPDX-License-Identifier: MIT
"""A training loop written as plain PyTorch over combined_dg,

    optimizer.zero_grad(); loss = f(combined_dg(...)); loss.backward(); optimizer.step()

takes the same steps as the same loop with full autograd through every pose of every ligand
(the model called on each ligand's poses and the Boltzmann combination written in torch)."""

import numpy as np
import pytest
import torch

import openmmaffinity as oa
from scripted_models import BOLTZMANN, complex_poses, complex_topology, scripted_contact_model

TEMPERATURE = 298.15
KJ_PER_KCAL = 4.184
STEPS = 4


def ligand_set():
    numbers, mask = complex_topology()
    return [oa.Ligand(complex_poses(3 + i, seed=20 + i), target=-4.0 - i, atomic_numbers=numbers, ligand_mask=mask)
            for i in range(3)]


def boltzmann_dg(energies):
    """ΔG = Σ w_n G_n with w = softmax(−βG), in torch (the independent reference)."""
    beta = 1.0 / (BOLTZMANN * TEMPERATURE)
    weights = torch.softmax(-beta * energies, dim=0)
    return (weights * energies).sum()


def train(step_loss):
    model = scripted_contact_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = step_loss(model)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("unit", ["kJ/mol", "kcal/mol"])
def test_a_plain_pytorch_loop_matches_full_autograd(unit):
    ligands = ligand_set()
    numbers, mask = complex_topology()
    targets = torch.tensor([ligand.target for ligand in ligands], dtype=torch.float64)
    per_kj = 1.0 if unit == "kJ/mol" else 1.0 / KJ_PER_KCAL

    def through_plugin(model):
        dg = oa.combined_dg(ligands, oa.BoltzmannCombination(), model=model, unit=unit)
        return torch.nn.functional.mse_loss(dg, targets)

    def through_autograd(model):
        z, m = torch.from_numpy(numbers), torch.from_numpy(mask)
        dg = torch.stack([boltzmann_dg(model(torch.from_numpy(ligand.poses), z, m)) for ligand in ligands])
        return torch.nn.functional.mse_loss(dg * per_kj, targets)

    plugin_losses, plugin_parameters = train(through_plugin)
    autograd_losses, autograd_parameters = train(through_autograd)
    np.testing.assert_allclose(plugin_losses, autograd_losses, rtol=1e-9)
    assert plugin_losses[-1] < plugin_losses[0]  # the loop trains
    for name, value in autograd_parameters.items():
        torch.testing.assert_close(plugin_parameters[name], value, rtol=1e-9, atol=1e-12)
