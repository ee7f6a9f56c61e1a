# SPDX-License-Identifier: MIT
"""How affinity-train takes its poses: --poses as a quoted pattern of per-ligand files (the
same model as the directory), standard input and pipes refused with the reason, and
--ligand-tag naming the ligands of a manifest's pose file (the same model as one file per
ligand). Run through CTest (label cli), which sets AFFINITY_TRAIN to the built program.
"""
import csv
import os
import subprocess
from pathlib import Path

import pytest
import torch

import training_set

AFFINITY_TRAIN = os.environ.get("AFFINITY_TRAIN", "affinity-train")
COMMON = ["--epochs", "2", "--learning-rate", "0.02", "--ligands-per-step", "2", "--seed", "0",
          "--validation-fraction", "0", "--dtype", "float64", "--quiet"]


def run(*arguments, **options):
    return subprocess.run([AFFINITY_TRAIN, *map(str, arguments)], capture_output=True, text=True, timeout=600,
                          **options)


def parameters_of(path):
    return {name: p.detach().clone() for name, p in torch.jit.load(str(path)).named_parameters()}


def assert_same_model(a, b):
    first, second = parameters_of(a), parameters_of(b)
    assert first.keys() == second.keys()
    for name in first:
        assert torch.equal(first[name], second[name]), name


@pytest.fixture
def one_set(tmp_path):
    targets = training_set.write_set(tmp_path / "a", ligands=4, poses=2, seed=0)
    training_set.export_tiny_model(tmp_path / "model.pt", dtype="float64")
    return tmp_path, targets


def train_on_folder(directory, output):
    a = directory / "a"
    result = run("--model", directory / "model.pt", "--poses", a / "poses", "--receptor", a / "receptor.pdbqt",
                 "--targets", a / "targets.csv", "--output", output, *COMMON)
    assert result.returncode == 0, result.stderr
    return result


def test_a_quoted_pattern_of_per_ligand_files_trains_as_the_directory(one_set):
    directory, _ = one_set
    a = directory / "a"
    train_on_folder(directory, directory / "folder.pt")
    (a / "poses" / "unused.sdf").write_text("not matched by the pattern\n")
    result = run("--model", directory / "model.pt", "--poses", str(a / "poses" / "lig*.pdbqt"), "--receptor",
                 a / "receptor.pdbqt", "--targets", a / "targets.csv", "--output", directory / "pattern.pt", *COMMON)
    assert result.returncode == 0, result.stderr
    assert_same_model(directory / "folder.pt", directory / "pattern.pt")
    # A pattern matching no file is a usage error naming it.
    result = run("--model", directory / "model.pt", "--poses", str(a / "poses" / "*.mol2"), "--receptor",
                 a / "receptor.pdbqt", "--targets", a / "targets.csv", "--output", directory / "none.pt", *COMMON)
    assert result.returncode == 2 and "the pattern matches no file" in result.stderr
    assert not (directory / "none.pt").exists()


def test_standard_input_and_single_files_are_refused_with_the_reason(one_set):
    directory, _ = one_set
    a = directory / "a"
    poses = (a / "poses" / "lig1.pdbqt").read_bytes()
    for given in ("-", "/dev/stdin"):
        result = run("--model", directory / "model.pt", "--poses", given, "--targets", a / "targets.csv", "--output",
                     directory / "x.pt", input=poses.decode())
        assert result.returncode == 2, result.stderr
        assert f"--poses {given} is standard input, a pipe or a device" in result.stderr
    result = run("--model", directory / "model.pt", "--poses", a / "poses" / "lig1.pdbqt", "--targets",
                 a / "targets.csv", "--output", directory / "x.pt")
    assert result.returncode == 2 and "is a file; expected the directory of per-ligand pose files" in result.stderr
    result = run("--model", directory / "model.pt", "--poses", a / "poses", "--targets", a / "targets.csv",
                 "--ligand-tag", "ID", "--output", directory / "x.pt")
    assert result.returncode == 2 and "--ligand-tag names the ligands of a --manifest's pose files" in result.stderr


def test_a_ligand_tag_names_the_ligands_of_a_manifest_pose_file(one_set):
    directory, targets = one_set
    a = directory / "a"
    train_on_folder(directory, directory / "folder.pt")
    # All ligands in one PDBQT, each model tagged "REMARK LIGID = name" and none titled.
    with open(directory / "all.pdbqt", "w") as out:
        for name in targets:
            for line in open(a / "poses" / f"{name}.pdbqt"):
                out.write(line)
                if line.startswith("MODEL"):
                    out.write(f"REMARK  LIGID = {name}\n")
    manifest = directory / "manifest.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["ligand", "receptor", "poses", "target"])
        for name, value in targets.items():
            writer.writerow([name, "a/receptor.pdbqt", "all.pdbqt", repr(value)])
    result = run("--model", directory / "model.pt", "--manifest", manifest, "--ligand-tag", "LIGID", "--output",
                 directory / "tagged.pt", *COMMON)
    assert result.returncode == 0, result.stderr
    assert_same_model(directory / "folder.pt", directory / "tagged.pt")
    # Without the tag the untitled models are one ligand named after the file (Vina's layout),
    # refused here since its "poses" disagree in their atoms.
    result = run("--model", directory / "model.pt", "--manifest", manifest, "--output", directory / "titled.pt",
                 *COMMON)
    assert result.returncode == 1 and "ligand 'all'" in result.stderr
    assert "all poses of a ligand need the same atoms in the same order" in result.stderr
    # A tag no record carries is an error naming the record and the tag.
    result = run("--model", directory / "model.pt", "--manifest", manifest, "--ligand-tag", "SERIES", "--output",
                 directory / "missing.pt", *COMMON)
    assert result.returncode == 1
    assert "all.pdbqt (record 1 on)" in result.stderr and "record 1 (line 1) has no tag 'SERIES'" in result.stderr
