# SPDX-License-Identifier: MIT
"""affinity-rescore's default model: without --model the tool uses the trained model shipped in
wrappers/python/openmmaffinity/models/default_model.pt, and its per-pose and combined ΔG equal
what PyTorch computes from that file on complexes built here, independently of the tool:
PDBQT read by a few lines of Python, hydrogens dropped (the heavy-atoms convention the model
declares), the pocket (receptor atoms within the model's declared pocket_cutoff_nm of any pose
atom) found by brute force.

Run through CTest (label cli), which sets AFFINITY_RESCORE, AFFINITY_DEFAULT_MODEL (the file
this build names as its default) and AFFINITY_RESCORE_FIXTURES (Vina's docking output of the
fixture step).
"""
import csv
import math
import os
import subprocess
from pathlib import Path

import pytest
import torch

RESCORE = os.environ.get("AFFINITY_RESCORE", "affinity-rescore")
DEFAULT_MODEL = Path(os.environ.get("AFFINITY_DEFAULT_MODEL", Path(__file__).resolve().parents[3] / "wrappers"
                                    / "python" / "openmmaffinity" / "models" / "default_model.pt"))
FIXTURES = Path(os.environ.get("AFFINITY_RESCORE_FIXTURES", "."))
# AutoDock types of the fixtures' receptor and ligands, as Open Babel maps them to elements.
AD_TO_Z = {"H": 1, "HD": 1, "C": 6, "A": 6, "N": 7, "NA": 7, "O": 8, "OA": 8, "S": 16, "SA": 16, "F": 9, "Cl": 17,
           "CL": 17, "Br": 35, "BR": 35, "I": 53, "P": 15}
KCAL_PER_KJ = 1 / 4.184
GAS_CONSTANT = 0.00831446261815324  # kJ/(mol K)


def read_pdbqt(path):
    """[(atomic numbers, positions [N,3] in nm)] of the MODELs of a PDBQT file (one when it has
    none), heavy atoms only."""
    models, numbers, coordinates = [], [], []
    for line in open(path):
        if line.startswith(("ATOM", "HETATM")) and AD_TO_Z[line.split()[-1]] != 1:
            numbers.append(AD_TO_Z[line.split()[-1]])
            coordinates.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
        elif line.startswith("ENDMDL"):
            models.append((numbers, torch.tensor(coordinates, dtype=torch.float64) * 0.1))
            numbers, coordinates = [], []
    if numbers:
        models.append((numbers, torch.tensor(coordinates, dtype=torch.float64) * 0.1))
    return models


def reference_energies(model, ligand_file, cutoff_nm=1.0):
    """Per-pose energies (kcal/mol) of a ligand's poses in its pocket, from PyTorch in float64."""
    receptor_numbers, receptor_positions = read_pdbqt(FIXTURES / "receptor.pdbqt")[0]
    poses = read_pdbqt(ligand_file)
    every_ligand_atom = torch.cat([positions for _, positions in poses])
    pocket = (torch.cdist(receptor_positions, every_ligand_atom).min(dim=1).values <= cutoff_nm).nonzero().flatten()
    numbers = torch.tensor([receptor_numbers[i] for i in pocket.tolist()] + poses[0][0])
    mask = torch.tensor([False] * len(pocket) + [True] * len(poses[0][0]))
    energies = []
    for ligand_numbers, positions in poses:
        assert ligand_numbers == poses[0][0]
        complex_positions = torch.cat([receptor_positions[pocket], positions])
        energies.append(float(model(complex_positions, numbers, mask)))
    return energies


def run_rescore(*arguments):
    result = subprocess.run([RESCORE, *map(str, arguments)], capture_output=True, text=True, cwd=FIXTURES,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_help_names_the_shipped_default_model():
    assert DEFAULT_MODEL.is_file(), DEFAULT_MODEL
    help_text = run_rescore("--help").stdout
    # The help wraps long lines, possibly inside the path: compare without white space.
    assert "(default:" + str(DEFAULT_MODEL).replace(" ", "") in "".join(help_text.split()), help_text


def test_default_model_declares_how_it_was_trained():
    model = torch.jit.load(str(DEFAULT_MODEL))
    assert model.energy_unit == "kcal/mol"
    assert model.supports_batch
    assert model.atom_convention == "heavy-atoms"
    assert model.pocket_cutoff_nm == pytest.approx(1.0)
    assert 1 not in model.training_elements and {6, 7, 8, 16} <= set(model.training_elements)
    size = sum(p.numel() for p in model.parameters())
    assert 1000 < size < 1_000_000, size  # a small trained model, not the contact example
    assert DEFAULT_MODEL.stat().st_size < 5 * 2**20


def test_without_model_the_default_model_scores_as_pytorch_does(tmp_path):
    ligands = {"imatinib": FIXTURES / "imatinib.pdbqt", "caffeine": FIXTURES / "caffeine.pdbqt"}
    out = tmp_path / "r.csv"
    result = run_rescore("--receptor", "receptor.pdbqt", "--poses", *ligands.values(), "--out", out, "--quiet")
    assert str(DEFAULT_MODEL) in result.stdout  # the model used is named
    rows = list(csv.DictReader(open(out)))
    model = torch.jit.load(str(DEFAULT_MODEL)).double()
    beta_kcal = 1 / (GAS_CONSTANT * KCAL_PER_KJ * 298.15)
    for name, path in ligands.items():
        expected = reference_energies(model, path, cutoff_nm=float(model.pocket_cutoff_nm))
        got = [r for r in rows if r["ligand"] == name]
        assert len(got) == len(expected) >= 2
        for row, energy in zip(got, expected):
            assert float(row["dG_kcal_mol"]) == pytest.approx(energy, rel=1e-5, abs=1e-5)
        # Boltzmann: w = softmax(-βG), ΔG = Σ w G, evaluated here in double precision.
        shift = min(expected)
        weights = [math.exp(-beta_kcal * (g - shift)) for g in expected]
        combined = sum(w * g for w, g in zip(weights, expected)) / sum(weights)
        assert float(got[0]["combined_dG_kcal_mol"]) == pytest.approx(combined, rel=1e-5, abs=1e-5)
