# SPDX-License-Identifier: MIT
"""openmmaffinity.docking reads what the command-line tools read: receptor atoms against a plain
parse of the PDB text, pose atoms against RDKit's reading of the SDF, and the pocket complexes
against affinity-rescore itself (its per-ligand atom counts, and its per-pose scores equal to
the default model's scores of the complexes read here)."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

import openmmaffinity as oa
from openmmaffinity import docking
from openmmaffinity.models import default_model_path

DATA = Path(__file__).resolve().parents[1] / "cli" / "rescore" / "data"
RECEPTOR = DATA / "t4l_pocket_allH.pdb"
POSES = DATA / "t4l_ligands_allH.sdf"
CUTOFF_NM = 0.8
ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "S": 16}


def pdb_atoms(path):
    """(atomic numbers, positions in nm) of the ATOM/HETATM records, by the PDB's fixed columns."""
    numbers, positions = [], []
    for line in Path(path).read_text().splitlines():
        if line.startswith(("ATOM  ", "HETATM")):
            numbers.append(ELEMENTS[line[76:78].strip()])
            positions.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
    return np.array(numbers), np.array(positions) * 0.1


def test_receptor_atoms_are_the_files_heavy_atoms():
    numbers, positions = pdb_atoms(RECEPTOR)
    heavy = numbers != 1
    receptor = docking.read_receptor(RECEPTOR)
    assert receptor.source == str(RECEPTOR)
    np.testing.assert_array_equal(receptor.atomic_numbers, numbers[heavy])
    np.testing.assert_allclose(receptor.positions, positions[heavy], rtol=0, atol=1e-9)
    as_read = docking.read_receptor(RECEPTOR, atom_convention="as-read")
    np.testing.assert_array_equal(as_read.atomic_numbers, numbers)


def test_poses_are_rdkits_heavy_atoms_grouped_by_title():
    expected = {}
    for molecule in Chem.SDMolSupplier(str(POSES), removeHs=False):
        heavy = [a.GetIdx() for a in molecule.GetAtoms() if a.GetAtomicNum() != 1]
        conformer = molecule.GetConformer().GetPositions()[heavy] * 0.1
        numbers = [molecule.GetAtomWithIdx(i).GetAtomicNum() for i in heavy]
        expected.setdefault(molecule.GetProp("_Name"), []).append((numbers, conformer))
    ligands = list(docking.read_poses(POSES))
    assert [ligand.name for ligand in ligands] == list(expected)
    for ligand in ligands:
        poses = expected[ligand.name]
        assert ligand.problem == "" and ligand.positions.shape == (len(poses), len(poses[0][0]), 3)
        np.testing.assert_array_equal(ligand.atomic_numbers, poses[0][0])
        np.testing.assert_allclose(ligand.positions, np.stack([p for _, p in poses]), rtol=0, atol=1e-9)


def rescore(tmp_path):
    tool = Path(sys.executable).parent / "affinity-rescore"
    out = tmp_path / "scores.csv"
    subprocess.run([str(tool), "--receptor", str(RECEPTOR), "--poses", str(POSES), "--out", str(out), "--json",
                    str(tmp_path / "summary.json"), "--pocket-cutoff", str(CUTOFF_NM), "--quiet"], check=True)
    rows = list(csv.DictReader(out.open()))
    return rows, json.loads((tmp_path / "summary.json").read_text())


def test_pocket_complexes_are_the_ones_affinity_rescore_scores(tmp_path):
    rows, summary = rescore(tmp_path)
    counts = {entry["name"]: (entry["ligand_atoms"], entry["pocket_atoms"]) for entry in summary["ligands"]}
    receptor = docking.read_receptor(RECEPTOR)
    scored = 0
    for ligand in docking.read_poses(POSES):
        complex_ = docking.pocket_complex(receptor, ligand, cutoff=CUTOFF_NM)
        num_ligand = int(complex_.ligand_mask.sum())
        assert counts[ligand.name] == (num_ligand, len(complex_.pocket_atoms))
        np.testing.assert_array_equal(complex_.atomic_numbers[:-num_ligand],
                                      receptor.atomic_numbers[complex_.pocket_atoms])
        np.testing.assert_array_equal(complex_.positions[:, -num_ligand:], ligand.positions)
        scorer = oa.Scorer(str(default_model_path()), complex_.atomic_numbers, complex_.ligand_mask, dtype="float64")
        energies = scorer.pose_energies(complex_.positions, unit="kcal/mol")
        tool = [float(row["dG_kcal_mol"]) for row in rows if row["ligand"] == ligand.name]
        np.testing.assert_allclose(energies, tool, rtol=0, atol=2e-3)
        scored += len(tool)
    assert scored == len(rows) > 0


def test_problems_are_reported_not_dropped(tmp_path):
    broken = tmp_path / "missing.sdf"
    [ligand] = list(docking.read_poses(broken))
    assert ligand.problem and ligand.positions.shape[0] == 0
    with pytest.raises(ValueError, match="cannot be scored"):
        docking.pocket_complex(docking.read_receptor(RECEPTOR), ligand)
    with pytest.raises(ValueError, match="atom_convention"):
        docking.read_receptor(RECEPTOR, atom_convention="all")
    with pytest.raises(Exception, match="missing.pdb"):
        docking.read_receptor(tmp_path / "missing.pdb")
