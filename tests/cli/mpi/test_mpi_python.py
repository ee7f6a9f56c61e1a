# SPDX-License-Identifier: MIT
"""The mpi4py example (wrappers/python/examples/mpi_scorer.py) with two ranks against one
process: the scores CSV is byte-identical, the trained parameters equal to 1e-6 relative, and
the one-process scores are PyTorch's own energies of the model.

Run as a script through CTest (label mpi): exits 77, saying why, where mpi4py is not installed.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import mpi_launch

EXAMPLE = Path(__file__).resolve().parents[3] / "wrappers" / "python" / "examples" / "mpi_scorer.py"


def write_ligands(directory):
    import training_set

    targets = training_set.write_set(directory, ligands=5, poses=3)
    arrays = {"names": np.array(sorted(targets))}
    for name in sorted(targets):
        positions, numbers, mask, _ = training_set.complexes(directory, name)
        arrays[name + "/positions"] = positions.numpy()
        arrays[name + "/atomic_numbers"] = numbers.numpy()
        arrays[name + "/ligand_mask"] = mask.numpy()
        arrays[name + "/target"] = np.array(targets[name] * training_set.KJ_PER_KCAL)
    np.savez(directory / "ligands.npz", **arrays)
    training_set.export_tiny_model(directory / "model.pt", dtype="float64")
    return arrays


def run_example(ranks, directory, tag):
    command = [sys.executable, str(EXAMPLE), "--model", str(directory / "model.pt"), "--ligands",
               str(directory / "ligands.npz"), "--scores", str(directory / f"scores-{tag}.csv"), "--epochs", "2",
               "--ligands-per-step", "3", "--trained", str(directory / f"trained-{tag}.pt")]
    result = mpi_launch.run(ranks, command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_ranks_equal_one_process(tmp_path):
    arrays = write_ligands(tmp_path)
    run_example(1, tmp_path, "one")
    run_example(2, tmp_path, "two")
    assert (tmp_path / "scores-two.csv").read_bytes() == (tmp_path / "scores-one.csv").read_bytes()
    one = dict(torch.jit.load(str(tmp_path / "trained-one.pt")).named_parameters())
    two = dict(torch.jit.load(str(tmp_path / "trained-two.pt")).named_parameters())
    untrained = dict(torch.jit.load(str(tmp_path / "model.pt")).named_parameters())
    assert any(not torch.equal(one[n], untrained[n]) for n in one)
    for name in one:
        torch.testing.assert_close(two[name].detach(), one[name].detach(), rtol=1e-6, atol=1e-12)
    # The scores are the model's: PyTorch's energies of each pose, in input order.
    model = torch.jit.load(str(tmp_path / "model.pt"))
    rows = list(csv.DictReader(open(tmp_path / "scores-one.csv")))
    expected = []
    for name in arrays["names"]:
        with torch.no_grad():
            energies = model(torch.from_numpy(arrays[name + "/positions"]),
                             torch.from_numpy(arrays[name + "/atomic_numbers"]),
                             torch.from_numpy(arrays[name + "/ligand_mask"]))
        expected += [(str(name), n + 1, float(e)) for n, e in enumerate(energies)]
    assert [(r["ligand"], int(r["pose"])) for r in rows] == [(e[0], e[1]) for e in expected]
    for row, (_, _, energy) in zip(rows, expected):
        assert float(row["energy_kj_mol"]) == pytest.approx(energy, abs=2e-6)


if __name__ == "__main__":
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("test_mpi_python: mpi4py is not installed in this Python (pip install mpi4py); skipped")
        sys.exit(77)
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", __file__]))
