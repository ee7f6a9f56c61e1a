# SPDX-License-Identifier: MIT
"""SchNetAffinity with tabulated filters (filter_table_size > 0, the operator
affinity::filter_convolution): equal to the exact model within the interpolation error, which
falls as the fourth power of the table's step; scripting, batching and gradients; the
operator against the filter network evaluated on each edge."""
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from openmmaffinity.models import SchNetAffinity, script_model
from openmmaffinity.models.operators import load_operators
from test_models_schnet import SMALL, make_complex, random_rotation


def twins(table_size, dtype=torch.float64, **hyperparameters):
    """An exact model and a tabulated one with the same weights."""
    torch.manual_seed(3)
    exact = SchNetAffinity(**hyperparameters).to(dtype)
    tabulated = SchNetAffinity(filter_table_size=table_size, **hyperparameters).to(dtype)
    tabulated.load_state_dict(exact.state_dict())
    return exact, tabulated


def energy_and_forces(model, positions, z, mask):
    x = positions.clone().requires_grad_(True)
    energy = model(x, z, mask)
    (gradient,) = torch.autograd.grad(energy.sum(), x)
    return energy.detach(), -gradient


def test_tabulated_model_converges_to_the_exact_model_as_the_step_shrinks():
    positions, z, mask = make_complex(protein_atoms=120, ligand_atoms=12, seed=4)
    errors = []
    for size in (257, 513, 1025, 2049):
        exact, tabulated = twins(size)
        e0, f0 = energy_and_forces(exact, positions, z, mask)
        e1, f1 = energy_and_forces(tabulated, positions, z, mask)
        errors.append(float((f1 - f0).abs().max() / f0.abs().max()))
        assert abs(float(e1 - e0)) <= 1e-5 * abs(float(e0))
    # The forces are the interpolant's derivative, whose error falls as the step cubed:
    # halving the step divides it by about 8.
    assert all(errors[i] / errors[i + 1] > 6 for i in range(3))
    assert errors[3] < 1e-6


def test_default_size_model_matches_exact_one_in_float64_and_float32():
    positions, z, mask = make_complex(seed=5)
    exact, tabulated = twins(2048, **SMALL)
    e0, f0 = energy_and_forces(exact, positions, z, mask)
    e1, f1 = energy_and_forces(tabulated, positions, z, mask)
    assert float((e1 - e0).abs()) <= 1e-8 * max(1.0, float(e0.abs()))
    assert float((f1 - f0).abs().max()) <= 1e-6 * float(f0.abs().max())
    # In float32 the table is still made in float64: forces are as accurate as the exact
    # float32 model's.
    exact32, tabulated32 = twins(2048, torch.float32, **SMALL)
    e32, f32 = energy_and_forces(exact32, positions.float(), z, mask)
    t32, g32 = energy_and_forces(tabulated32, positions.float(), z, mask)
    scale = float(f0.abs().max())
    assert float((g32.double() - f0).abs().max()) <= 3 * max(float((f32.double() - f0).abs().max()), 1e-6 * scale)


@pytest.mark.parametrize("strategy", ["complex", "delta"])
def test_scripted_batched_and_rotated_tabulated_model(strategy):
    positions, z, mask = make_complex(seed=6)
    _, model = twins(512, strategy=strategy, **SMALL)
    scripted = script_model(model)
    batch = torch.stack([positions, positions + 0.05, positions @ random_rotation(2).T])
    batched = scripted(batch, z, mask)
    one_by_one = torch.stack([model(p, z, mask) for p in batch])
    assert torch.allclose(batched, one_by_one, rtol=1e-12, atol=1e-12)
    assert float((batched[2] - batched[0]).abs()) <= 1e-9 * max(1.0, float(batched[0].abs()))


def test_parameter_gradients_flow_through_the_table():
    # d E / d theta of the tabulated model against central finite differences on one weight of
    # each filter network (the table is rebuilt from the weights on every call).
    positions, z, mask = make_complex(seed=7)
    _, model = twins(256, **SMALL)
    for block in model.interactions:
        weight = block.mlp[2].weight
        (gradient,) = torch.autograd.grad(model(positions, z, mask), weight)
        step = 1e-6
        with torch.no_grad():
            weight[1, 2] += step
            up = model(positions, z, mask)
            weight[1, 2] -= 2 * step
            down = model(positions, z, mask)
            weight[1, 2] += step
        numeric = float(up - down) / (2 * step)
        assert abs(float(gradient[1, 2]) - numeric) <= 1e-6 * max(1.0, abs(numeric))


def test_frozen_model_makes_its_tables_once_and_a_trained_one_on_every_call():
    # parameters_frozen (what the plugin sets on a Context's copy) with parameters that need no
    # gradients: the tables of the first call are reused, so a later change of a filter weight
    # goes unseen; while the weights require gradients the flag is ignored, as it must be for
    # training. Energies and forces of the reused tables equal those of fresh ones.
    positions, z, mask = make_complex(seed=8)
    _, model = twins(256, **SMALL)
    scripted = script_model(model)
    e0, f0 = energy_and_forces(scripted, positions, z, mask)
    scripted.parameters_frozen = True
    assert torch.equal(energy_and_forces(scripted, positions, z, mask)[0], e0)
    assert len(scripted._reused_filter_tables) == 0  # parameters still require gradients
    for p in scripted.parameters():
        p.requires_grad_(False)
    scripted.interactions[1].mlp[2].weight.requires_grad_(True)  # one filter network still trained
    energy_and_forces(scripted, positions, z, mask)
    assert len(scripted._reused_filter_tables) == 0
    scripted.interactions[1].mlp[2].weight.requires_grad_(False)
    for _ in range(2):  # the first call makes and keeps the tables, the second reuses them
        e1, f1 = energy_and_forces(scripted, positions, z, mask)
        assert len(scripted._reused_filter_tables) == SMALL["num_interactions"]
        assert torch.allclose(e1, e0, rtol=1e-12, atol=0) and torch.allclose(f1, f0, rtol=1e-10, atol=1e-12)
    with torch.no_grad():
        scripted.interactions[0].mlp[2].weight.mul_(1.5)
    assert torch.equal(energy_and_forces(scripted, positions, z, mask)[0], e1)
    scripted.parameters_frozen = False
    changed = energy_and_forces(scripted, positions, z, mask)[0]
    assert abs(float(changed - e1)) > 1e-6 * abs(float(e1))
    assert len(scripted._reused_filter_tables) == 0


def test_operator_equals_the_filter_network_on_every_edge():
    # The operator with the model's coefficients against the filter network and cosine
    # cutoff evaluated at each edge's length, written out here.
    load_operators()
    _, model = twins(4097, **SMALL)
    block = model.interactions[0]
    cutoff = model.cutoff
    coefficients = block.filter_coefficients(model.filter_table_basis(torch.device("cpu")))
    generator = torch.Generator().manual_seed(1)
    lengths = torch.rand(1, 50, 6, generator=generator, dtype=torch.float64) * cutoff * 1.05
    neighbors = torch.randint(0, 50, (1, 50, 6), generator=generator)
    features = torch.randn(1, 50, 12, generator=generator, dtype=torch.float64)
    out = torch.ops.affinity.filter_convolution(features, neighbors, lengths, coefficients, block.spacing)
    envelope = 0.5 * (torch.cos(lengths * math.pi / cutoff) + 1.0) * (lengths < cutoff)
    filters = block.mlp(model.distance_expansion(lengths)) * envelope.unsqueeze(-1)
    expected = (features[0][neighbors[0]] * filters[0]).sum(1)
    assert torch.allclose(out[0], expected, rtol=0, atol=1e-10 * float(expected.abs().max()))


def test_every_blocks_table_holds_its_own_filter_values_and_slopes():
    # The tables of all blocks, made together by batched products, against each block's filter
    # network and cosine cutoff at the table's lengths: the cubic's a is the filter there, and
    # its b the derivative along the segment (autograd, times the spacing).
    from openmmaffinity.models.schnet_layers import tabulated_filter_coefficients

    _, model = twins(257, **SMALL)
    assert len(model.interactions) > 1
    for block in model.interactions:  # blocks that differ, so that a mix-up shows
        block.mlp[0].weight.data.normal_()
    networks = [block.filter_network() for block in model.interactions]
    tables = tabulated_filter_coefficients(networks, model.filter_table_basis(torch.device("cpu")),
                                           model.filter_table_spacing, model.act.shift)
    grid = torch.linspace(0.0, model.cutoff, 257, dtype=torch.float64)[:-1]
    for k, block in enumerate(model.interactions):
        def filters(r):
            envelope = 0.5 * (torch.cos(r * math.pi / model.cutoff) + 1.0)
            return block.mlp(model.distance_expansion(r)) * envelope.unsqueeze(-1)

        values, slopes = torch.autograd.functional.jvp(filters, grid, torch.ones_like(grid))
        assert torch.allclose(tables[k, :, 0], values, rtol=0, atol=1e-12 * float(values.abs().max()))
        assert torch.allclose(tables[k, :, 1], slopes * block.spacing, rtol=0,
                              atol=1e-12 * float(slopes.abs().max() * block.spacing))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_filter_tables_operator_equals_the_plain_formula_and_its_autograd(dtype):
    # What the model calls (filter_tables, the operator affinity::filter_tables) against the
    # plain formula it replaced, tabulated_filter_coefficients, differentiated by autograd: the
    # same float64 tables, rounded once to the model's dtype, and the same gradients of every
    # filter network's weights.
    from openmmaffinity.models.schnet_layers import filter_tables, tabulated_filter_coefficients

    _, model = twins(129, **SMALL)
    model = model.to(dtype)
    for block in model.interactions:
        block.mlp[0].weight.data.normal_()
        block.mlp[0].bias.data.normal_()
    networks = [block.filter_network() for block in model.interactions]
    parameters = [p for network in networks for p in network]
    basis = model.filter_table_basis(torch.device("cpu"))
    fused = filter_tables(networks, basis, model.filter_table_spacing, model.act.shift, dtype)
    plain = tabulated_filter_coefficients(networks, basis, model.filter_table_spacing, model.act.shift).to(dtype)
    assert fused.dtype == dtype and fused.shape == plain.shape
    assert torch.allclose(fused, plain, rtol=0, atol=1e-14 * float(plain.abs().max()))
    weights = torch.randn(plain.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64).to(dtype)
    fused_grads = torch.autograd.grad((fused * weights).sum(), parameters)
    plain_grads = torch.autograd.grad((plain * weights).sum(), parameters)
    tolerance = 1e-12 if dtype == torch.float64 else 1e-6
    for got, expected in zip(fused_grads, plain_grads):
        assert got.dtype == dtype
        assert torch.allclose(got, expected, rtol=0, atol=tolerance * float(expected.abs().max()))


def test_an_exact_model_scripts_without_the_operator_library():
    # A model with filter_table_size = 0 needs none of the operators: in a fresh process that
    # loads the models package alone (not openmmaffinity, whose plugins link the library), it
    # scripts and runs without the library being loaded.
    import openmmaffinity.models

    root = Path(openmmaffinity.models.__file__).parent
    code = ("import importlib.util, sys, torch\n"
            f"spec = importlib.util.spec_from_file_location('models', {str(root / '__init__.py')!r}, "
            f"submodule_search_locations=[{str(root)!r}])\n"
            "models = importlib.util.module_from_spec(spec)\n"
            "sys.modules['models'] = models\n"
            "spec.loader.exec_module(models)\n"
            "m = models.script_model(models.SchNetAffinity(hidden_channels=8, num_filters=8, num_interactions=2,\n"
            "                                              num_gaussians=5))\n"
            "e = m(torch.rand(6, 3), torch.tensor([6, 6, 7, 8, 1, 1]), torch.tensor([0, 0, 0, 0, 1, 1]).bool())\n"
            "print(models.operators.operators_loaded(), bool(torch.isfinite(e)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_bad_table_size_is_named():
    with pytest.raises(ValueError, match="filter_table_size"):
        SchNetAffinity(filter_table_size=1)


@pytest.mark.parametrize("separate_parts", [False, True])
def test_tabulated_model_searches_neighbours_with_the_operator(separate_parts):
    """A tabulated model's lists come from affinity::nearest_neighbors and equal the dense
    distance matrix's top-K lists of the exact model (float64: no ties)."""
    from openmmaffinity.models.neighbors import FusedNeighborSearch, NeighborSearch

    exact, tabulated = twins(64, cutoff=0.5, max_num_neighbors=8)
    assert type(tabulated.neighbor_search) is FusedNeighborSearch
    assert type(exact.neighbor_search) is NeighborSearch
    generator = torch.Generator().manual_seed(5)
    positions = torch.rand(3, 60, 3, generator=generator, dtype=torch.float64) * 12.0  # Å, cutoff 5 Å
    mask = torch.rand(60, generator=generator) < 0.3
    fused = torch.jit.script(tabulated).neighbor_search(positions, mask, separate_parts)
    dense = exact.neighbor_search(positions, mask, separate_parts)
    assert fused[1].any() and not fused[1].all()  # some slots filled, some empty
    assert torch.equal(fused[1], dense[1])
    assert torch.equal(fused[0], dense[0])
