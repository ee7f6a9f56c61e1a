# SPDX-License-Identifier: MIT
"""python -m openmmaffinity.models.export: the file it writes, its options and its errors."""
import subprocess
import sys

import pytest
import torch
from torch_geometric.nn.models.schnet import SchNet

from openmmaffinity.models import SchNetAffinity
from openmmaffinity.models import export

SMALL = ["--hidden-channels", "16", "--num-filters", "12", "--num-interactions", "2", "--num-gaussians", "10"]


def sample_complex():
    generator = torch.Generator().manual_seed(0)
    positions = torch.rand(2, 20, 3, generator=generator) * 1.5
    numbers = torch.tensor([1, 6, 7, 8] * 5)
    mask = torch.arange(20) >= 15
    return positions, numbers, mask


def test_help_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "openmmaffinity.models.export", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0
    assert "--strategy" in result.stdout and "--weights" in result.stdout


def test_written_file_has_the_contract_attributes_and_the_hyperparameters(tmp_path):
    path = tmp_path / "model.pt"
    export.main([str(path), *SMALL, "--strategy", "delta", "--energy-unit", "kcal/mol", "--dtype", "float64"])
    model = torch.jit.load(str(path))
    assert model.energy_unit == "kcal/mol"
    assert model.supports_batch is True
    assert model.strategy == "delta"
    assert all(p.dtype == torch.float64 for p in model.parameters())
    reference = SchNetAffinity(hidden_channels=16, num_filters=12, num_interactions=2, num_gaussians=10)
    assert {n: p.shape for n, p in model.named_parameters()} == {n: p.shape for n, p in reference.named_parameters()}
    positions, numbers, mask = sample_complex()
    assert model(positions.double(), numbers, mask).shape == (2,)


def test_default_export_is_the_pyg_sized_model(tmp_path):
    path = tmp_path / "model.pt"
    export.main([str(path)])
    model = torch.jit.load(str(path))
    assert sum(p.numel() for p in model.parameters()) == 455809


def test_weights_of_a_pyg_schnet_are_loaded(tmp_path):
    torch.manual_seed(3)
    pyg = SchNet(hidden_channels=16, num_filters=12, num_interactions=2, num_gaussians=10, cutoff=10.0)
    torch.save(pyg.state_dict(), tmp_path / "state.pt")
    export.main([str(tmp_path / "model.pt"), *SMALL, "--weights", str(tmp_path / "state.pt")])
    model = torch.jit.load(str(tmp_path / "model.pt"))
    expected = SchNetAffinity.from_pyg(pyg)
    positions, numbers, mask = sample_complex()
    torch.testing.assert_close(model(positions, numbers, mask), expected(positions, numbers, mask), rtol=0, atol=0)


def test_weights_that_do_not_fit_are_named(tmp_path):
    torch.save(SchNet(hidden_channels=32).state_dict(), tmp_path / "state.pt")
    with pytest.raises(SystemExit, match="do not fit the model's hyperparameters"):
        export.main([str(tmp_path / "model.pt"), *SMALL, "--weights", str(tmp_path / "state.pt")])
