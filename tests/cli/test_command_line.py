# SPDX-License-Identifier: MIT
"""The command line both tools share, through the built tools: --version, the generated --help
(every option the parser accepts is listed, with value names and short defaults), choices in
any case, one set of exit statuses, and CSV that one tool writes and the other reads back."""
import csv
import os
import re
import string
import subprocess
from pathlib import Path

import pytest

import training_set

RESCORE = os.environ["AFFINITY_RESCORE"]
TRAIN = os.environ["AFFINITY_TRAIN"]
VERSION = os.environ["AFFINITY_PROJECT_VERSION"]
TOOLS = {"affinity-rescore": RESCORE, "affinity-train": TRAIN}


def run(tool, *arguments, cwd=None):
    return subprocess.run([tool, *map(str, arguments)], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three ligands, one pose each (one CSV row per ligand), a receptor and a small model."""
    directory = tmp_path_factory.mktemp("set")
    training_set.write_set(directory, ligands=3, poses=1)
    training_set.export_tiny_model(directory / "model.pt")
    return directory


@pytest.mark.parametrize("name", TOOLS)
def test_version_prints_the_project_version(name):
    result = run(TOOLS[name], "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{name} {VERSION}\n"


def accepted_options(tool):
    """The long options the parser accepts, found by asking it, not by reading --help: every
    option starts with some letter, and Boost names the options a one-letter prefix matches (or
    the one it stands for) in its error messages."""
    found = set()
    for letter in string.ascii_lowercase:
        for probe in (f"--{letter}", f"--{letter}=x"):
            result = run(tool, probe)
            text = result.stdout + result.stderr
            found |= {name for name in re.findall(r"'--([a-z0-9-]{2,})'", text)}
            if result.stdout.startswith("usage:"):
                found.add("help")
            if result.returncode == 0 and re.fullmatch(r"affinity-\w+ \S+\n", result.stdout):
                found.add("version")
    return found


@pytest.mark.parametrize("name", TOOLS)
def test_help_lists_every_option_the_parser_accepts(name):
    result = run(TOOLS[name], "--help")
    assert result.returncode == 0
    listed = set(re.findall(r"^  (?:-\w, |    )--([a-z0-9-]+)", result.stdout, re.MULTILINE))
    accepted = accepted_options(TOOLS[name])
    assert accepted == listed, f"accepted, not listed: {accepted - listed}; listed, not accepted: {listed - accepted}"
    for option in ("precision", "substrate", "km", "version"):
        assert option in listed
    assert not re.search(r"\barg\b", result.stdout)
    assert "(=" not in result.stdout
    assert not re.search(r"\d\.\d{6,}", result.stdout), "a default printed with all its digits"
    assert "(default: 298.15)" in result.stdout
    assert "Exit status" in result.stdout and "3  the run finished, but at least one ligand" in result.stdout


def test_value_names_replace_arg():
    result = run(RESCORE, "--help")
    assert re.search(r"^  -m, --model FILE ", result.stdout, re.MULTILINE)
    assert result.stdout.startswith("usage: affinity-rescore [--model FILE] --receptor FILE --poses FILE...")


def test_choices_are_accepted_in_any_case(dataset, tmp_path):
    common = ["--model", dataset / "model.pt", "--receptor", dataset / "receptor.pdbqt", "--poses",
              *sorted((dataset / "poses").iterdir()), "--quiet"]
    lower = run(RESCORE, *common, "--out", tmp_path / "lower.csv", "-c", "mean", "--readout", "pki",
                "--precision", "double", "--atom-convention", "heavy-atoms", "--device", "cpu")
    assert lower.returncode == 0, lower.stderr
    mixed = run(RESCORE, *common, "--out", tmp_path / "mixed.csv", "-c", "Mean", "--readout", "pKi",
                "--precision", "DOUBLE", "--atom-convention", "Heavy-Atoms", "--device", "CPU")
    assert mixed.returncode == 0, mixed.stderr
    assert (tmp_path / "mixed.csv").read_text() == (tmp_path / "lower.csv").read_text()
    trained = run(TRAIN, "--model", dataset / "model.pt", "--poses", dataset / "poses", "--receptor",
                  dataset / "receptor.pdbqt", "--targets", dataset / "targets.csv", "--output", tmp_path / "out.pt",
                  "--epochs", "1", "--strategy", "Two-Pass", "--loss", "MSE", "--optimizer", "Adam", "--combination",
                  "Boltzmann", "--precision", "Double", "--validation-fraction", "0", "--quiet")
    assert trained.returncode == 0, trained.stderr
    refused = run(TRAIN, "--loss", "Median")
    assert refused.returncode == 2
    assert "--loss is 'Median'; expected mse, centred-mse, ranking or gnll" in refused.stderr


def test_tf32_precision_is_float32_on_the_cpu(dataset, tmp_path):
    # tf32 changes how CUDA runs float32 matrix products; on the CPU it scores as single does.
    common = ["--model", dataset / "model.pt", "--receptor", dataset / "receptor.pdbqt", "--poses",
              *sorted((dataset / "poses").iterdir()), "--quiet", "--device", "cpu"]
    outputs = {}
    for precision in ("single", "TF32"):
        result = run(RESCORE, *common, "--out", tmp_path / f"{precision}.csv", "--precision", precision)
        assert result.returncode == 0, result.stderr
        outputs[precision] = (tmp_path / f"{precision}.csv").read_text()
    assert outputs["TF32"] == outputs["single"]
    refused = run(RESCORE, *common, "--out", tmp_path / "bf16.csv", "--precision", "bf16")
    assert refused.returncode == 2
    assert "expected" in refused.stderr and "tf32" in refused.stderr


def test_exit_statuses_are_one_set(dataset, tmp_path):
    rescore = ["--model", dataset / "model.pt", "--poses", dataset / "poses" / "lig1.pdbqt", "--quiet", "--out",
               tmp_path / "r.csv"]
    assert run(RESCORE, "--receptor", dataset / "receptor.pdbqt", *rescore).returncode == 0
    assert run(RESCORE, "--receptor", dataset / "receptor.pdbqt", *rescore, "--no-such-option").returncode == 2
    assert run(RESCORE, "--receptor", tmp_path / "missing.pdbqt", *rescore).returncode == 1
    (tmp_path / "empty.sdf").write_text("")
    skipped = run(RESCORE, "--receptor", dataset / "receptor.pdbqt", *rescore, "--poses", tmp_path / "empty.sdf")
    assert skipped.returncode == 3, skipped.stderr
    train = ["--model", dataset / "model.pt", "--poses", dataset / "poses", "--receptor", dataset / "receptor.pdbqt",
             "--output", tmp_path / "out.pt", "--epochs", "0", "--quiet"]
    assert run(TRAIN, *train, "--targets", dataset / "targets.csv").returncode == 0
    usage = run(TRAIN, *train, "--targets", dataset / "targets.csv", "--no-such-option")
    assert usage.returncode == 2 and "Try 'affinity-train --help'." in usage.stderr
    assert run(TRAIN, *train).returncode == 2  # --targets is required
    failed = run(TRAIN, *train, "--targets", tmp_path / "missing.csv")
    assert failed.returncode == 1 and "cannot open the targets file" in failed.stderr


def odd_named_set(directory):
    """The dataset with its ligands renamed: a comma, quotes, a space."""
    names = {"lig1": 'a,"b"', "lig2": "plain", "lig3": "with space, and ''"}
    training_set.write_set(directory, ligands=3, poses=1)
    for old, new in names.items():
        (directory / "poses" / f"{old}.pdbqt").rename(directory / "poses" / f"{new}.pdbqt")
    training_set.export_tiny_model(directory / "model.pt")
    return list(names.values())


def test_rescore_csv_reads_back_as_training_targets(tmp_path):
    names = odd_named_set(tmp_path)
    poses = sorted((tmp_path / "poses").iterdir())
    scored = run(RESCORE, "--model", tmp_path / "model.pt", "--receptor", tmp_path / "receptor.pdbqt", "--poses",
                 *poses, "--out", tmp_path / "scores.csv", "--quiet")
    assert scored.returncode == 0, scored.stderr
    rows = list(csv.DictReader(open(tmp_path / "scores.csv", newline="")))
    assert sorted(r["ligand"] for r in rows) == sorted(names)
    trained = run(TRAIN, "--model", tmp_path / "model.pt", "--poses", tmp_path / "poses", "--receptor",
                  tmp_path / "receptor.pdbqt", "--targets", tmp_path / "scores.csv", "--target-column",
                  "combined_dG_kcal_mol", "--output", tmp_path / "out.pt", "--epochs", "0", "--validation-fraction",
                  "0", "--predictions", tmp_path / "predictions.csv", "--quiet")
    assert trained.returncode == 0, trained.stderr
    predictions = {r["ligand"]: r for r in csv.DictReader(open(tmp_path / "predictions.csv", newline=""))}
    assert sorted(predictions) == sorted(names)
    for row in rows:
        assert float(predictions[row["ligand"]]["target"]) == pytest.approx(float(row["combined_dG_kcal_mol"]),
                                                                           abs=1e-6)
    # affinity-train's own predictions read back as targets too.
    again = run(TRAIN, "--model", tmp_path / "model.pt", "--poses", tmp_path / "poses", "--receptor",
                tmp_path / "receptor.pdbqt", "--targets", tmp_path / "predictions.csv", "--output",
                tmp_path / "again.pt", "--epochs", "0", "--quiet")
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_targets_with_a_byte_order_mark_quotes_and_line_ends(tmp_path, line_end):
    names = odd_named_set(tmp_path)
    targets = {names[0]: -7.25, names[1]: -8.5, names[2]: -6.0}
    rows = ['ligand,note,target',
            '"a,""b""","a note over' + line_end + 'two lines",-7.25',
            'plain,,-8.5',
            '"with space, and \'\'","",-6']
    (tmp_path / "targets.csv").write_bytes(("\ufeff" + line_end.join(rows) + line_end).encode("utf-8"))
    result = run(TRAIN, "--model", tmp_path / "model.pt", "--poses", tmp_path / "poses", "--receptor",
                 tmp_path / "receptor.pdbqt", "--targets", tmp_path / "targets.csv", "--output", tmp_path / "out.pt",
                 "--epochs", "0", "--validation-fraction", "0", "--predictions", tmp_path / "p.csv", "--quiet")
    assert result.returncode == 0, result.stderr
    read = {r["ligand"]: float(r["target"]) for r in csv.DictReader(open(tmp_path / "p.csv", newline=""))}
    assert read == targets
