# SPDX-License-Identifier: MIT
"""The canonical atom convention: the same poses spelled with different hydrogens give the same
complex, and so the same per-pose ΔG from the default model.

The poses are three ligands of T4 lysozyme L99A in a pocket cut from the same structure
(data/t4l_*_allH.*: all hydrogens, as published by Ross et al. 2023, MIT licence). Open Babel
writes them again as an SDF without hydrogens, as MOL2 and as polar-hydrogen PDBQT (Vina's
input), and the receptor as a PDB without hydrogens and a polar-hydrogen PDBQT. Every pair of
spellings must score alike to 0.05 kcal/mol (PDB and PDBQT keep three decimals of an angstrom,
SDF four, so they are not bit-equal). With --atom-convention as-read the same files give
different scores: the test would see a model that depended on hydrogens.

Run through CTest (label cli), which sets AFFINITY_RESCORE and AFFINITY_DEFAULT_MODEL.
"""
import csv
import json
import os
import subprocess
from pathlib import Path
from typing import List

import pytest
import torch

RESCORE = os.environ.get("AFFINITY_RESCORE", "affinity-rescore")
# The bundled example model (a fixed pair score that declares no atom convention).
EXAMPLE_MODEL = os.environ.get("AFFINITY_EXAMPLE_MODEL", "")
DATA = Path(__file__).resolve().parent / "data"
LIGANDS = DATA / "t4l_ligands_allH.sdf"
POCKET = DATA / "t4l_pocket_allH.pdb"


def obabel(source, target, *options):
    subprocess.run(["obabel", str(source), "-O", str(target), *options], check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def spellings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spellings")
    ligands = {
        "all-H SDF": LIGANDS,
        "no-H SDF": obabel(LIGANDS, folder / "ligands_noH.sdf", "-d"),
        "MOL2": obabel(LIGANDS, folder / "ligands.mol2"),
        "polar-H PDBQT": obabel(LIGANDS, folder / "ligands.pdbqt"),
    }
    receptors = {
        "all-H PDB": POCKET,
        "no-H PDB": obabel(POCKET, folder / "pocket_noH.pdb", "-d"),
        "polar-H PDBQT": obabel(POCKET, folder / "pocket.pdbqt", "-xr"),
    }
    return folder, ligands, receptors


def scores(folder, receptor, ligands, *options):
    """Per-pose ΔG (kcal/mol) in file order, from the tool's CSV (Open Babel's PDBQT reader keeps
    only the first word of a multi-word title, so names differ between the spellings)."""
    out = folder / "scores.csv"
    subprocess.run([RESCORE, "--receptor", str(receptor), "--poses", str(ligands), "--out", str(out), "--quiet",
                    "--top", "0", *options], check=True, capture_output=True)
    with open(out) as f:
        return [float(row["dG_kcal_mol"]) for row in csv.DictReader(f)]


def test_every_spelling_of_the_poses_scores_alike(spellings):
    folder, ligands, receptors = spellings
    results = {(r, l): scores(folder, receptors[r], ligands[l]) for r in receptors for l in ligands}
    reference = results[("all-H PDB", "all-H SDF")]
    assert len(reference) == 3
    for key, result in results.items():
        assert result == pytest.approx(reference, abs=0.05), key


def test_hydrogens_as_read_change_the_scores(spellings):
    """With the hydrogens kept, a model that sees them scores the spellings differently, so the
    agreement above comes from the convention, not from the model: the example model, which
    declares no convention, with as-read and with heavy-atoms. (The default model declares
    heavy-atoms and refuses as-read.)"""
    folder, ligands, receptors = spellings
    model = ("--model", EXAMPLE_MODEL)
    all_h = scores(folder, receptors["all-H PDB"], ligands["all-H SDF"], *model, "--atom-convention", "as-read")
    polar_h = scores(folder, receptors["polar-H PDBQT"], ligands["polar-H PDBQT"], *model, "--atom-convention",
                     "as-read")
    heavy = [scores(folder, receptors[r], ligands[l], *model) for r, l in (("all-H PDB", "all-H SDF"),
                                                                            ("polar-H PDBQT", "polar-H PDBQT"))]
    assert heavy[0] == pytest.approx(heavy[1], abs=0.05)
    assert len(all_h) == len(polar_h) == 3
    assert max(abs(a - p) for a, p in zip(all_h, polar_h)) > 0.05


class AsReadModel(torch.nn.Module):
    """A pair score that declares it was trained on complexes with their hydrogens as read."""
    atom_convention: str

    def __init__(self):
        super().__init__()
        self.atom_convention = "as-read"

    def forward(self, positions, atomic_numbers, ligand_mask):
        lig, rec = positions[ligand_mask], positions[~ligand_mask]
        return torch.exp(-torch.cdist(lig, rec)).sum()


def test_a_model_of_another_convention_is_refused(spellings, tmp_path):
    folder, ligands, receptors = spellings
    model = tmp_path / "as_read.pt"
    torch.jit.script(AsReadModel()).save(str(model))
    run = subprocess.run([RESCORE, "--model", str(model), "--receptor", str(receptors["all-H PDB"]), "--poses",
                          str(ligands["all-H SDF"]), "--out", str(tmp_path / "x.csv"), "--atom-convention",
                          "heavy-atoms"], capture_output=True, text=True)
    assert run.returncode == 1
    assert "heavy-atoms" in run.stderr and "'as-read'" in run.stderr
    assert not (tmp_path / "x.csv").exists()
    # Without the option, the model's own convention is used: hydrogens as read.
    run = subprocess.run([RESCORE, "--model", str(model), "--receptor", str(receptors["all-H PDB"]), "--poses",
                          str(ligands["all-H SDF"]), "--out", str(tmp_path / "x.csv"), "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode in (0, 3), run.stderr
    assert "atoms: as-read" in run.stdout


def test_the_default_model_refuses_hydrogens_as_read(spellings, tmp_path):
    folder, ligands, receptors = spellings
    run = subprocess.run([RESCORE, "--receptor", str(receptors["all-H PDB"]), "--poses", str(ligands["all-H SDF"]),
                          "--out", str(tmp_path / "x.csv"), "--atom-convention", "as-read"], capture_output=True,
                         text=True)
    assert run.returncode == 1
    assert "--atom-convention as-read was asked for" in run.stderr and "'heavy-atoms'" in run.stderr


class PositiveScore(torch.nn.Module):
    """A model that declares it saw only C, N and O in training and scores every pose at
    +1 kcal/mol plus a small contact term (positive: a score a docked pose should not get)."""
    energy_unit: str
    training_elements: List[int]

    def __init__(self):
        super().__init__()
        self.energy_unit = "kcal/mol"
        self.training_elements = [6, 7, 8]

    def forward(self, positions, atomic_numbers, ligand_mask):
        lig, rec = positions[ligand_mask], positions[~ligand_mask]
        return 1.0 + 0.01 * torch.exp(-torch.cdist(lig, rec)).sum()


def test_scores_outside_the_models_domain_are_flagged(spellings, tmp_path):
    """no-contact for a ligand moved 20 Å out of the pocket (its complex then holds no receptor
    atom), unseen-element for the pocket's sulfur around the others (the model saw C, N, O),
    positive-dG for the model's positive scores: in the CSV,
    the SDF, the JSON and one warning line per ligand; nothing is flagged for the default model
    on the poses in the pocket."""
    folder, ligands, receptors = spellings
    model = tmp_path / "positive.pt"
    torch.jit.script(PositiveScore()).save(str(model))
    # The first ligand again, 20 Å away along x (V2000 coordinates are columns 1-10, 11-20, 21-30).
    records = LIGANDS.read_text().split("$$$$\n")
    lines = records[0].split("\n")
    counts = int(lines[3][:3])
    for k in range(4, 4 + counts):
        lines[k] = "%10.4f" % (float(lines[k][:10]) + 20.0) + lines[k][10:]
    moved = tmp_path / "moved.sdf"
    moved.write_text("far away\n" + "\n".join(lines[1:]) + "$$$$\n" + "$$$$\n".join(records[1:]))
    out = tmp_path / "flags"
    run = subprocess.run([RESCORE, "--model", str(model), "--receptor", str(receptors["all-H PDB"]), "--poses",
                          str(moved), "--out", str(out) + ".csv", "--out-sdf", str(out) + ".sdf", "--json",
                          str(out) + ".json", "--top", "0"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(open(str(out) + ".csv")))
    assert [r["ligand"] for r in rows][0] == "far away" and len(rows) == 3
    assert set(rows[0]["flags"].split(";")) == {"no-contact", "positive-dG"}
    for row in rows[1:]:
        assert set(row["flags"].split(";")) == {"unseen-element", "positive-dG"}
    summary = json.load(open(str(out) + ".json"))
    assert summary["totals"]["ligands_flagged"] == 3
    assert summary["ligands"][0]["pose_flags"] == [rows[0]["flags"]]
    assert open(str(out) + ".sdf").read().count("<affinity_flags>") == 3
    warnings = [line for line in run.stderr.splitlines() if "warning: ligand" in line]
    assert len(warnings) == 3
    assert "no receptor atom within 4.5 A" in warnings[0] and "element S was never seen" in warnings[1]
    # The default model on the poses in their pocket: nothing to flag.
    run = subprocess.run([RESCORE, "--receptor", str(receptors["all-H PDB"]), "--poses", str(LIGANDS), "--out",
                          str(tmp_path / "d.csv"), "--top", "0", "--quiet"], capture_output=True, text=True)
    assert run.returncode == 0 and "warning" not in run.stderr
    assert all(r["flags"] == "" for r in csv.DictReader(open(tmp_path / "d.csv")))
