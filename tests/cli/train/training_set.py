# SPDX-License-Identifier: MIT
"""Tiny synthetic training sets for the affinity-train tests, and an independent reader and
loss for the full-autograd reference.

A set is a receptor PDBQT (atoms near the pocket and a few far away), one multi-model PDBQT
per ligand (Vina's layout, with "REMARK VINA RESULT" scores) and a targets CSV.
"""
import importlib.util
import math
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[3]
AD_TYPES = {1: "HD", 6: "C", 7: "N", 8: "OA", 16: "SA"}
AD_TO_Z = {"HD": 1, "H": 1, "C": 6, "A": 6, "N": 7, "NA": 7, "OA": 8, "O": 8, "SA": 16, "S": 16}
KJ_PER_KCAL = 4.184
BOLTZMANN_KJ_PER_MOL_K = 0.00831446261815324


def import_models():
    """The openmmaffinity.models package, loaded from the source tree by path: it needs only
    torch, and these tests must not need the compiled openmmaffinity module."""
    name = "openmmaffinity_models_under_test"
    if name in sys.modules:
        return sys.modules[name]
    root = REPO / "wrappers" / "python" / "openmmaffinity" / "models"
    spec = importlib.util.spec_from_file_location(name, root / "__init__.py", submodule_search_locations=[str(root)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pdbqt_atom_line(serial, x, y, z, ad_type):
    return (f"ATOM  {serial:5d}  X   UNL A   1    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00    +0.000 {ad_type}\n")


def write_set(directory, ligands=6, poses=3, ligand_atoms=5, seed=0, targets=None):
    """Write a set into directory; return the dict of targets (kcal/mol) by ligand name."""
    generator = torch.Generator().manual_seed(seed)
    directory = Path(directory)
    (directory / "poses").mkdir(parents=True, exist_ok=True)
    elements = list(AD_TYPES)
    with open(directory / "receptor.pdbqt", "w") as out:
        serial = 1
        for _ in range(14):  # a shell around the pocket at the origin
            direction = torch.randn(3, generator=generator, dtype=torch.float64)
            x = direction / direction.norm() * (4.0 + 2.0 * float(torch.rand(1, generator=generator)))
            z = elements[int(torch.randint(0, len(elements), (1,), generator=generator))]
            out.write(pdbqt_atom_line(serial, *x.tolist(), AD_TYPES[z]))
            serial += 1
        for k in range(3):  # far from every pose: outside any pocket
            out.write(pdbqt_atom_line(serial, 30.0 + 2 * k, 30.0, 30.0, "C"))
            serial += 1
    values = {}
    for index in range(ligands):
        name = f"lig{index + 1}"
        types = [elements[int(torch.randint(0, len(elements), (1,), generator=generator))] for _ in range(ligand_atoms)]
        base = torch.randn(ligand_atoms, 3, generator=generator, dtype=torch.float64) * 1.2
        with open(directory / "poses" / f"{name}.pdbqt", "w") as out:
            for pose in range(poses):
                shifted = base + torch.randn(ligand_atoms, 3, generator=generator, dtype=torch.float64) * 0.4
                out.write(f"MODEL {pose + 1}\n")
                score = -6.0 - float(torch.rand(1, generator=generator)) * 3
                out.write(f"REMARK VINA RESULT:    {score:6.3f}      0.000      0.000\n")
                for atom in range(ligand_atoms):
                    out.write(pdbqt_atom_line(atom + 1, *shifted[atom].tolist(), AD_TYPES[types[atom]]))
                out.write("ENDMDL\n")
        values[name] = -5.0 - 4.0 * float(torch.rand(1, generator=generator)) if targets is None else targets[name]
    with open(directory / "targets.csv", "w") as out:
        out.write("ligand,target\n")
        for name, value in values.items():
            out.write(f"{name},{value!r}\n")
    return values


def export_tiny_model(path, dtype="float64", seed=3, energy_unit="kJ/mol", strategy="delta"):
    models = import_models()
    torch.manual_seed(seed)
    model = models.SchNetAffinity(hidden_channels=8, num_filters=8, num_interactions=2, num_gaussians=6,
                                  cutoff=0.6, max_num_neighbors=12, strategy=strategy, energy_unit=energy_unit)
    model = model.to(getattr(torch, dtype))
    models.script_model(model).save(str(path))


# ----- the independent reference: reading, complexes and the loss with full autograd -----

def read_models(path):
    """[(atomic numbers, positions Å, score)] of the MODELs of a PDBQT file, without hydrogens:
    affinity-train builds complexes from heavy atoms only (its default atom convention)."""
    result, numbers, coordinates, score = [], [], [], float("nan")
    for line in open(path):
        if line.startswith("MODEL"):
            numbers, coordinates, score = [], [], float("nan")
        elif line.startswith("REMARK VINA RESULT:"):
            score = float(line.split()[3])
        elif line.startswith(("ATOM", "HETATM")) and AD_TO_Z[line.split()[-1]] != 1:
            numbers.append(AD_TO_Z[line.split()[-1]])
            coordinates.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
        elif line.startswith("ENDMDL"):
            result.append((numbers, torch.tensor(coordinates, dtype=torch.float64), score))
    if not result and numbers:
        result.append((numbers, torch.tensor(coordinates, dtype=torch.float64), score))
    return result


def complexes(directory, name, pocket_cutoff_angstrom=8.0):
    """(positions [P,N,3] nm, atomic numbers, ligand mask, docking scores) of one ligand."""
    receptor_numbers, receptor_positions, _ = read_models(Path(directory) / "receptor.pdbqt")[0]
    poses = read_models(Path(directory) / "poses" / f"{name}.pdbqt")
    all_ligand = torch.cat([p[1] for p in poses])
    near = torch.cdist(receptor_positions, all_ligand).min(dim=1).values < pocket_cutoff_angstrom
    pocket = near.nonzero().flatten()
    numbers = [receptor_numbers[i] for i in pocket.tolist()] + poses[0][0]
    positions = torch.stack([torch.cat([receptor_positions[pocket], p[1]]) for p in poses]) * 0.1
    mask = torch.tensor([False] * len(pocket) + [True] * len(poses[0][0]))
    return positions, torch.tensor(numbers), mask, [p[2] for p in poses]


def combined_delta_g(energies, combination, temperature=298.15, scale=1000.0):
    """ΔG (kJ/mol) of per-pose energies (kJ/mol), written from the combinations' published formulas."""
    beta = 1.0 / (BOLTZMANN_KJ_PER_MOL_K * temperature)
    if combination == "mean":
        return energies.mean()
    if combination == "boltzmann":
        weights = torch.softmax(-beta * energies, dim=0)
        return (weights * energies).sum()
    if combination == "max":
        # The seed's MaxCombination: a smooth minimum of ΔG (the strongest-binding pose).
        return -1.0 / (scale * beta) * torch.logsumexp(-scale * beta * energies, dim=0)
    raise ValueError(combination)


def reference_loss(model, directory, names, targets, combination, energy_unit_factor=1.0, readout="dg",
                   pose_weight=0.0, temperature=298.15):
    """Mean over ligands of (readout(ΔG) − y)² + λ Σ (G_n − s_n)², every pose in one graph."""
    beta = 1.0 / (BOLTZMANN_KJ_PER_MOL_K * temperature)
    total = 0.0
    for name in names:
        positions, numbers, mask, scores = complexes(directory, name)
        energies = model(positions, numbers, mask) * energy_unit_factor
        delta_g = combined_delta_g(energies, combination, temperature)
        if readout == "dg":
            loss = (delta_g - targets[name] * KJ_PER_KCAL) ** 2
        else:  # pKi
            loss = (-beta * delta_g / math.log(10.0) - targets[name]) ** 2
        if pose_weight > 0:
            loss = loss + pose_weight * ((energies - torch.tensor(scores, dtype=energies.dtype) * KJ_PER_KCAL) ** 2).sum()
        total = total + loss
    return total / len(names)
