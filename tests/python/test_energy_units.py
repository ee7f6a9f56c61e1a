# SPDX-License-Identifier: MIT
"""unit="kcal/mol" on results: energies (and derivatives by energy) in kcal/mol, the rest as in
kJ/mol; the default stays kJ/mol; any other unit is refused."""

import numpy as np
import openmm
import pytest
import torch

import openmmaffinity as oa
from scripted_models import complex_poses, complex_topology, scripted_contact_model

# The thermochemical calorie, as the tools and the model contract use it.
KJ_PER_KCAL = 4.184


@pytest.fixture(scope="module")
def scored():
    model = scripted_contact_model()
    numbers, mask = complex_topology()
    return model, oa.Scorer(model, numbers, mask), complex_poses(5)


def test_pose_energies_in_kcal_per_mol(scored):
    _, scorer, poses = scored
    kj = scorer.pose_energies(poses)
    assert np.array_equal(scorer.pose_energies(poses, unit="kJ/mol"), kj)
    np.testing.assert_allclose(scorer.pose_energies(poses, unit="kcal/mol"), kj / KJ_PER_KCAL, rtol=1e-14)


def test_combined_gradient_in_kcal_per_mol(scored):
    _, scorer, poses = scored
    kj = scorer.combined_gradient(poses, oa.BoltzmannCombination(), -20.0, position_gradients=True)
    kcal = scorer.combined_gradient(poses, oa.BoltzmannCombination(), -20.0, position_gradients=True,
                                    unit="kcal/mol")
    assert kj.unit == "kJ/mol" and kcal.unit == "kcal/mol"
    assert kcal.delta_g == pytest.approx(kj.delta_g / KJ_PER_KCAL, rel=1e-13)
    np.testing.assert_allclose(kcal.energies, kj.energies / KJ_PER_KCAL, rtol=1e-13)
    np.testing.assert_allclose(kcal.position_gradients, kj.position_gradients / KJ_PER_KCAL, rtol=1e-12)
    np.testing.assert_allclose(kcal.loss_coefficients, kj.loss_coefficients * KJ_PER_KCAL, rtol=1e-12)
    # The loss is the loss (its target was given in kJ/mol), and so are its parameter gradients.
    assert kcal.loss == kj.loss
    for name in kj.gradients:
        assert np.array_equal(kcal.gradients[name], kj.gradients[name])
    np.testing.assert_array_equal(kcal.coefficients, kj.coefficients)


def test_pose_gradients_in_kcal_per_mol(scored):
    _, scorer, poses = scored
    kj, kcal = [], []
    scorer.for_each_pose_gradient(poses, kj.append, position_gradients=True)
    scorer.for_each_pose_gradient(poses, kcal.append, position_gradients=True, unit="kcal/mol")
    for a, b in zip(kj, kcal):
        assert b.energy == pytest.approx(a.energy / KJ_PER_KCAL, rel=1e-13)
        np.testing.assert_allclose(b.position_gradient, a.position_gradient / KJ_PER_KCAL, rtol=1e-12)
        for name in a.gradients:
            np.testing.assert_allclose(b.gradients[name], a.gradients[name] / KJ_PER_KCAL, rtol=1e-12, atol=1e-300)


def test_combine_in_kcal_per_mol():
    kj_energies = np.array([-30.0, -28.5, -25.0])
    kj = oa.BoltzmannCombination().combine(kj_energies)
    kcal = oa.BoltzmannCombination().combine(kj_energies / KJ_PER_KCAL, unit="kcal/mol")
    assert kcal.delta_g == pytest.approx(kj.delta_g / KJ_PER_KCAL, rel=1e-13)
    np.testing.assert_allclose(kcal.weights, kj.weights, rtol=1e-12)


def test_compute_pose_energies_in_kcal_per_mol(scored):
    model, _, poses = scored
    numbers, mask = complex_topology()
    system = openmm.System()
    for _ in numbers:
        system.addParticle(12.0)
    force = oa.AffinityForce(model)
    force.addParticles(np.arange(len(numbers)), numbers, mask)
    system.addForce(force)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    kj = force.computePoseEnergies(context, poses)
    np.testing.assert_allclose(force.computePoseEnergies(context, poses, unit="kcal/mol"), kj / KJ_PER_KCAL,
                               rtol=1e-14)


def test_combined_dg_in_kcal_per_mol(scored):
    model, _, poses = scored
    numbers, mask = complex_topology()
    ligands = [oa.Ligand(poses, -20.0, atomic_numbers=numbers, ligand_mask=mask)]
    kj = oa.combined_dg(ligands, oa.BoltzmannCombination(), model=model)
    kcal = oa.combined_dg(ligands, oa.BoltzmannCombination(), model=model, unit="kcal/mol")
    torch.testing.assert_close(kcal.detach(), kj.detach() / KJ_PER_KCAL, rtol=1e-13, atol=0)
    assert kcal.requires_grad


@pytest.mark.parametrize("unit", ["kcal", "kJ", "eV", None])
def test_other_units_are_refused(scored, unit):
    _, scorer, poses = scored
    with pytest.raises(ValueError, match="unit: expected 'kJ/mol' or 'kcal/mol'"):
        scorer.pose_energies(poses, unit=unit)
