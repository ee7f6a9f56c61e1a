# SPDX-License-Identifier: MIT
"""ContactAffinity, the kind of the default model: its formula against a direct evaluation, batches,
TorchScript, forces by finite differences, and its export."""
import math

import pytest
import torch

from openmmaffinity.models import ContactAffinity, export, script_contact_model
from openmmaffinity.models.contact_affinity import ELEMENT_CLASSES, NUM_DEGREES, OTHER, average_contact_models


def benzene_in_a_box(poses=3, seed=0):
    """A ring of six carbons (bonded, 0.14 nm) near a few receptor atoms of several elements, in
    several rigidly shifted poses; float64."""
    generator = torch.Generator().manual_seed(seed)
    ring = torch.tensor([[0.14 * math.cos(k * math.pi / 3), 0.14 * math.sin(k * math.pi / 3), 0.0]
                         for k in range(6)], dtype=torch.float64)
    receptor = torch.tensor([[0.0, 0.0, 0.40], [0.05, 0.0, 0.52], [0.45, 0.1, 0.0], [0.0, -0.42, 0.05],
                             [0.9, 0.9, 0.9], [0.0, 0.0, -0.36]], dtype=torch.float64)
    numbers = torch.tensor([6, 7, 8, 16, 6, 30, 6, 6, 6, 6, 6, 6])
    mask = torch.tensor([False] * 6 + [True] * 6)
    shifts = torch.randn(poses, 1, 3, generator=generator, dtype=torch.float64) * 0.03
    positions = torch.cat([receptor.expand(poses, -1, -1), ring + shifts], dim=1)
    return positions, numbers, mask


def trained_like(seed=1):
    torch.manual_seed(seed)
    model = ContactAffinity().double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def direct_energy(model, positions, numbers, mask):
    """The module docstring's formula, pair by pair in Python loops."""
    ligand = [i for i in range(len(numbers)) if mask[i]]
    receptor = [j for j in range(len(numbers)) if not mask[j]]

    def atom_type(i, group):
        bonded = sum(1 for k in group if k != i and float((positions[i] - positions[k]).norm()) < 0.195)
        return ELEMENT_CLASSES.get(int(numbers[i]), OTHER) * NUM_DEGREES + min(bonded, NUM_DEGREES - 1)

    energy = float(model.offset)
    for i in ligand:
        energy += float(model.self_terms[atom_type(i, ligand)])
    rho = float(torch.nn.functional.softplus(model.repulsion))
    for i in ligand:
        for j in receptor:
            r = float((positions[i] - positions[j]).norm())
            if r >= model.cutoff:
                continue
            embedded = model.ligand_types.weight[atom_type(i, ligand)] * model.receptor_types.weight[atom_type(j, receptor)]
            weights = embedded @ model.mixing
            gauss = torch.exp(-0.5 * ((r - model.centres) / model.width) ** 2)
            energy += float((weights * gauss).sum()) * 0.5 * (math.cos(math.pi * r / model.cutoff) + 1.0)
            energy += rho * 100.0 * max(0.0, model.repulsion_distance - r) ** 2
    return energy


def test_energy_follows_the_formula():
    model = trained_like()
    positions, numbers, mask = benzene_in_a_box()
    for pose in range(positions.shape[0]):
        with torch.no_grad():
            assert float(model(positions[pose], numbers, mask)) == pytest.approx(
                direct_energy(model, positions[pose], numbers, mask), rel=1e-10, abs=1e-10)


def test_a_batch_equals_its_poses_and_the_scripted_model_equals_eager():
    model = trained_like()
    scripted = script_contact_model(model)
    positions, numbers, mask = benzene_in_a_box(poses=4)
    batch = scripted(positions, numbers, mask)
    assert batch.shape == (4,)
    for pose in range(4):
        assert float(batch[pose]) == pytest.approx(float(model(positions[pose], numbers, mask)), rel=1e-12)


def test_forces_match_finite_differences():
    model = trained_like()
    positions, numbers, mask = benzene_in_a_box(poses=1)
    x = positions[0].clone().requires_grad_(True)
    energy = model(x, numbers, mask)
    (gradient,) = torch.autograd.grad(energy, x)
    h = 1e-6
    for atom in (0, 2, 7, 11):
        for d in range(3):
            plus, minus = positions[0].clone(), positions[0].clone()
            plus[atom, d] += h
            minus[atom, d] -= h
            with torch.no_grad():
                numeric = (float(model(plus, numbers, mask)) - float(model(minus, numbers, mask))) / (2 * h)
            assert float(gradient[atom, d]) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_a_ligand_far_from_the_receptor_scores_its_size_terms_alone():
    model = trained_like()
    positions, numbers, mask = benzene_in_a_box(poses=1)
    far = positions[0].clone()
    far[6:] += 5.0
    with torch.no_grad():
        alone = float(model(far, numbers, mask))
    # Six aromatic carbons, each bonded to two others.
    expected = float(model.offset) + 6 * float(model.self_terms[ELEMENT_CLASSES[6] * NUM_DEGREES + 2])
    assert alone == pytest.approx(expected, rel=1e-12)


def test_export_writes_the_declarations(tmp_path):
    path = tmp_path / "contact.pt"
    export.main([str(path), "--architecture", "contact", "--embedding-size", "8", "--dtype", "float64"])
    loaded = torch.jit.load(str(path))
    assert loaded.energy_unit == "kcal/mol"
    assert loaded.supports_batch is True
    assert loaded.atom_convention == "heavy-atoms"
    assert 6 in loaded.supported_elements and 1 not in loaded.supported_elements
    assert loaded.ligand_types.weight.shape[1] == 8
    positions, numbers, mask = benzene_in_a_box()
    assert torch.isfinite(loaded(positions, numbers, mask)).all()


def test_the_average_of_models_is_the_mean_of_their_energies_pose_by_pose():
    members = [trained_like(seed) for seed in (1, 2, 3)]
    average = average_contact_models(members)
    assert average.ligand_types.weight.shape[1] == 3 * members[0].ligand_types.weight.shape[1]
    positions, numbers, mask = benzene_in_a_box(poses=4)
    # Closer receptor atoms too, so that the repulsion term is exercised as well as the pairs.
    positions[:, 0] = positions[:, 6] + torch.tensor([0.0, 0.0, 0.2], dtype=torch.float64)
    with torch.no_grad():
        expected = sum(member(positions, numbers, mask) for member in members) / 3
        got = average(positions, numbers, mask)
    assert torch.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_models_with_other_settings_are_not_averaged():
    with pytest.raises(ValueError, match="cutoff"):
        average_contact_models([trained_like(1), ContactAffinity(cutoff=0.7).double()])


def test_export_averages_trained_files_and_keeps_their_declarations(tmp_path):
    paths = []
    for seed in (1, 2):
        scripted = script_contact_model(trained_like(seed))
        scripted._c._register_attribute("training_elements", torch._C.ListType(torch._C.IntType.get()), [6, 7, 8])
        scripted._c._register_attribute("pocket_cutoff_nm", torch._C.FloatType.get(), 1.0)
        paths.append(str(tmp_path / f"member{seed}.pt"))
        scripted.save(paths[-1])
    output = tmp_path / "mean.pt"
    export.main([str(output), "--average", *paths])
    loaded = torch.jit.load(str(output))
    assert loaded.training_elements == [6, 7, 8]
    assert loaded.pocket_cutoff_nm == 1.0
    assert loaded.atom_convention == "heavy-atoms"
    positions, numbers, mask = benzene_in_a_box()
    members = [torch.jit.load(path) for path in paths]
    with torch.no_grad():
        expected = (members[0](positions, numbers, mask) + members[1](positions, numbers, mask)) / 2
        assert torch.allclose(loaded(positions, numbers, mask), expected, rtol=1e-12, atol=1e-12)


def test_export_refuses_to_average_models_trained_on_other_complexes(tmp_path):
    paths = []
    for seed, cutoff in ((1, 1.0), (2, 0.8)):
        scripted = script_contact_model(trained_like(seed))
        scripted._c._register_attribute("pocket_cutoff_nm", torch._C.FloatType.get(), cutoff)
        paths.append(str(tmp_path / f"member{seed}.pt"))
        scripted.save(paths[-1])
    with pytest.raises(SystemExit, match="pocket_cutoff_nm"):
        export.main([str(tmp_path / "mean.pt"), "--average", *paths])
