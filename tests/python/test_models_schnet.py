# SPDX-License-Identifier: MIT
"""SchNetAffinity: scripting, batching, invariances, and equality with PyTorch Geometric's
SchNet for equal weights (the independent reference)."""
import math

import pytest
import torch
from torch_geometric.nn.models.schnet import SchNet

from openmmaffinity.models import SchNetAffinity, script_model

SMALL = dict(hidden_channels=16, num_filters=12, num_interactions=2, num_gaussians=10, cutoff=0.6)


def make_complex(protein_atoms=40, ligand_atoms=8, seed=0, dtype=torch.float64):
    """A random 'complex': protein atoms in a 2 nm box around a ligand at its centre, every
    pair at least 0.1 nm apart. Returns positions [N,3] (nm), atomic numbers, ligand mask."""
    generator = torch.Generator().manual_seed(seed)
    kept = []
    while len(kept) < protein_atoms + ligand_atoms:
        ligand = len(kept) >= protein_atoms
        size = 0.5 if ligand else 2.0
        candidate = (torch.rand(3, generator=generator, dtype=torch.float64) - 0.5) * size + 1.0
        if all(float((candidate - other).norm()) > 0.1 for other in kept):
            kept.append(candidate)
    positions = torch.stack(kept).to(dtype)
    elements = torch.tensor([1, 6, 7, 8, 16], dtype=torch.long)
    atomic_numbers = elements[torch.randint(0, 5, (len(kept),), generator=generator)]
    ligand_mask = torch.zeros(len(kept), dtype=torch.bool)
    ligand_mask[protein_atoms:] = True
    return positions, atomic_numbers, ligand_mask


def random_rotation(seed):
    generator = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    if torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def brute_force_graph(cutoff, max_num_neighbors):
    """An interaction graph for PyG's SchNet written independently of the model under test:
    for each target atom i, its nearest sources j != i closer than the cutoff, at most
    max_num_neighbors of them, by an explicit loop."""

    def graph(pos, batch):
        rows, cols = [], []
        for i in range(pos.shape[0]):
            candidates = []
            for j in range(pos.shape[0]):
                if j != i and batch[i] == batch[j]:
                    d = float((pos[i] - pos[j]).norm())
                    if d < cutoff:
                        candidates.append((d, j))
            for _, j in sorted(candidates)[:max_num_neighbors]:
                rows.append(j)
                cols.append(i)
        edge_index = torch.tensor([rows, cols], dtype=torch.long)
        edge_weight = (pos[edge_index[0]] - pos[edge_index[1]]).norm(dim=-1)
        return edge_index, edge_weight

    return graph


def pyg_twin(model, max_num_neighbors):
    """PyG's SchNet (in Å) with the model's hyperparameters and weights."""
    cutoff = model.cutoff_nm * 10.0
    pyg = SchNet(hidden_channels=model.hidden_channels, num_filters=model.num_filters,
                 num_interactions=model.num_interactions, num_gaussians=model.num_gaussians, cutoff=cutoff,
                 interaction_graph=brute_force_graph(cutoff, max_num_neighbors))
    own = model.state_dict()
    state = pyg.state_dict()
    for key in state:
        source = key.replace(".conv.nn.", ".mlp.")
        state[key] = own[source].clone()
    pyg.load_state_dict(state)
    return pyg.to(next(model.parameters()).dtype)


@pytest.mark.parametrize("strategy", ["complex", "delta"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_scripted_model_equals_eager_model(strategy, dtype):
    torch.manual_seed(0)
    model = SchNetAffinity(strategy=strategy, **SMALL).to(dtype)
    scripted = script_model(model)
    positions, z, mask = make_complex(dtype=dtype)
    batch = torch.stack([positions, positions + 0.05, positions.flip(1)])
    torch.testing.assert_close(scripted(batch, z, mask), model(batch, z, mask), rtol=0, atol=0)
    torch.testing.assert_close(scripted(positions, z, mask), model(positions, z, mask), rtol=0, atol=0)


@pytest.mark.parametrize("strategy", ["complex", "delta"])
@pytest.mark.parametrize("dtype,tolerance", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_batched_equals_unbatched(strategy, dtype, tolerance):
    torch.manual_seed(1)
    model = script_model(SchNetAffinity(strategy=strategy, **SMALL).to(dtype))
    poses = [make_complex(seed=seed, dtype=dtype)[0] for seed in range(4)]
    _, z, mask = make_complex(dtype=dtype)
    batched = model(torch.stack(poses), z, mask)
    assert batched.shape == (4,)
    single = torch.stack([model(pose, z, mask) for pose in poses])
    assert single.shape == (4,)
    scale = single.abs().max().item()
    assert (batched - single).abs().max().item() <= tolerance * max(scale, 1.0)


@pytest.mark.parametrize("strategy", ["complex", "delta"])
def test_translation_and_rotation_leave_the_energy_unchanged(strategy):
    torch.manual_seed(2)
    model = script_model(SchNetAffinity(strategy=strategy, **SMALL).double())
    positions, z, mask = make_complex()
    reference = model(positions, z, mask).item()
    moved = positions @ random_rotation(3).T + torch.tensor([3.0, -7.5, 12.25], dtype=torch.float64)
    assert abs(model(moved, z, mask).item() - reference) < 1e-5
    assert abs(reference) > 1e-3  # the comparison is not between two zeros


def test_float32_rotation_invariance_to_rounding():
    torch.manual_seed(2)
    model = script_model(SchNetAffinity(**SMALL))
    positions, z, mask = make_complex(dtype=torch.float32)
    moved = (positions.double() @ random_rotation(4).T).float() + 1.5
    reference = model(positions, z, mask).item()
    assert abs(model(moved, z, mask).item() - reference) <= 1e-5 * max(abs(reference), 1.0)


def test_complex_strategy_equals_pyg_schnet_with_equal_weights():
    torch.manual_seed(4)
    model = SchNetAffinity(**SMALL).double()
    positions, z, mask = make_complex(protein_atoms=30, ligand_atoms=6)
    pyg = pyg_twin(model, max_num_neighbors=32)
    expected = pyg(z, positions * 10.0).squeeze()
    torch.testing.assert_close(model(positions, z, mask), expected, rtol=1e-12, atol=1e-12)


def test_nearest_neighbours_are_kept_when_an_atom_has_too_many():
    torch.manual_seed(5)
    model = SchNetAffinity(**dict(SMALL, cutoff=1.0), max_num_neighbors=6).double()
    positions, z, mask = make_complex(protein_atoms=30, ligand_atoms=6)
    pyg = pyg_twin(model, max_num_neighbors=6)
    unlimited = pyg_twin(model, max_num_neighbors=1000)
    expected = pyg(z, positions * 10.0).squeeze()
    assert abs(expected - unlimited(z, positions * 10.0).squeeze()) > 1e-6  # the limit matters here
    torch.testing.assert_close(model(positions, z, mask), expected, rtol=1e-12, atol=1e-12)


def test_delta_strategy_equals_pyg_complex_minus_its_parts():
    torch.manual_seed(6)
    model = SchNetAffinity(strategy="delta", **SMALL).double()
    positions, z, mask = make_complex(protein_atoms=30, ligand_atoms=6)
    pyg = pyg_twin(model, max_num_neighbors=32)
    angstrom = positions * 10.0
    expected = (pyg(z, angstrom) - pyg(z[~mask], angstrom[~mask]) - pyg(z[mask], angstrom[mask])).squeeze()
    torch.testing.assert_close(model(positions, z, mask), expected, rtol=1e-12, atol=1e-12)


def test_delta_vanishes_for_a_ligand_far_from_the_protein():
    torch.manual_seed(7)
    model = SchNetAffinity(strategy="delta", **SMALL).double()
    positions, z, mask = make_complex()
    apart = positions.clone()
    apart[mask] += 50.0
    assert abs(model(apart, z, mask).item()) < 1e-10
    assert abs(model(positions, z, mask).item()) > 1e-4


def test_pyg_state_dict_loads_and_defaults_match_pyg():
    torch.manual_seed(8)
    pyg = SchNet(cutoff=10.0)
    model = SchNetAffinity()
    model.load_state_dict(pyg.state_dict())
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in pyg.parameters()) == 455809
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, pyg.state_dict()[name])
    assert model.cutoff_nm == 1.0 and model.max_num_neighbors == 32
    assert SchNetAffinity.from_pyg(pyg).hyperparameters() == model.hyperparameters()


def test_state_dict_with_different_filter_aliases_is_rejected():
    state = SchNet(hidden_channels=16, num_filters=12, num_interactions=2, num_gaussians=10).state_dict()
    state["interactions.1.conv.nn.0.weight"] = state["interactions.1.conv.nn.0.weight"] + 1.0
    with pytest.raises(RuntimeError, match="interactions.1.conv.nn.0.weight differs"):
        SchNetAffinity(**dict(SMALL, cutoff=1.0)).load_state_dict(state)


def test_from_pyg_rejects_output_transformations():
    with pytest.raises(ValueError, match="mean set"):
        SchNetAffinity.from_pyg(SchNet(mean=1.0, std=2.0))


def test_forces_are_finite_and_match_finite_differences():
    torch.manual_seed(9)
    model = script_model(SchNetAffinity(**SMALL).double())
    positions, z, mask = make_complex(protein_atoms=12, ligand_atoms=4)
    positions.requires_grad_(True)
    torch.autograd.gradcheck(lambda x: model(x, z, mask), (positions,), eps=1e-6, atol=1e-6)


def test_invalid_strategy_and_unit_are_named():
    with pytest.raises(ValueError, match="strategy is 'both'"):
        SchNetAffinity(strategy="both")
    with pytest.raises(ValueError, match="energy_unit is 'eV'"):
        SchNetAffinity(energy_unit="eV")
