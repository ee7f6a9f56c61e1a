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
import os
import subprocess
from pathlib import Path

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
