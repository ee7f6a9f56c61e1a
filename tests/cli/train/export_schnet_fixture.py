# SPDX-License-Identifier: MIT
"""Write SchNet models with the export command, and what PyTorch computes with them, for
TestExportedSchNet (C++).

For each model NAME: NAME.pt (written by `python -m openmmaffinity.models.export`, here
called in-process) and NAME.txt: the number of atoms N and poses P, the atomic numbers, the
ligand flags (0/1), P×N×3 positions in nm, and the P energies PyTorch's TorchScript
runtime gives in the model's energy unit, all whitespace-separated.

Usage: python export_schnet_fixture.py OUTPUT_DIR
"""
import importlib
import sys
from pathlib import Path

import torch

import training_set

MODELS = {
    "schnet_small_delta": ["--hidden-channels", "16", "--num-filters", "16", "--num-interactions", "2",
                           "--num-gaussians", "12", "--cutoff", "0.6", "--strategy", "delta", "--energy-unit",
                           "kcal/mol", "--dtype", "float64", "--seed", "11"],
    "schnet_pyg_defaults": ["--seed", "12"],
}


def random_complex(poses, seed):
    generator = torch.Generator().manual_seed(seed)
    protein = (torch.rand(30, 3, generator=generator, dtype=torch.float64) - 0.5) * 1.6
    ligand = (torch.rand(6, 3, generator=generator, dtype=torch.float64) - 0.5) * 0.5
    base = torch.cat([protein, ligand])
    positions = base.unsqueeze(0).repeat(poses, 1, 1)
    positions[:, 30:] += torch.randn(poses, 6, 3, generator=generator, dtype=torch.float64) * 0.05
    numbers = torch.tensor([1, 6, 7, 8, 16])[torch.randint(0, 5, (36,), generator=generator)]
    mask = torch.zeros(36, dtype=torch.bool)
    mask[30:] = True
    return positions, numbers, mask


def main():
    output = Path(sys.argv[1])
    output.mkdir(parents=True, exist_ok=True)
    export = importlib.import_module(training_set.import_models().__name__ + ".export")
    for index, (name, arguments) in enumerate(MODELS.items()):
        model_path = output / f"{name}.pt"
        export.main([str(model_path), *arguments])
        model = torch.jit.load(str(model_path))
        positions, numbers, mask = random_complex(3, seed=index)
        dtype = next(model.parameters()).dtype
        with torch.no_grad():
            energies = model(positions.to(dtype), numbers, mask).double()
        values = [positions.shape[1], positions.shape[0], *numbers.tolist(), *mask.int().tolist(),
                  *positions.flatten().tolist(), *energies.tolist()]
        (output / f"{name}.txt").write_text(" ".join(repr(v) for v in values) + "\n")


if __name__ == "__main__":
    main()
