# SPDX-License-Identifier: MIT
"""affinity-train end to end: it learns, one step equals full autograd in PyTorch, resuming
equals not stopping, and bad input gives clear errors.

Run through CTest (label cli), which sets AFFINITY_TRAIN to the built program.
"""
import csv
import os
import subprocess
from pathlib import Path

import pytest
import torch

import training_set

AFFINITY_TRAIN = os.environ.get("AFFINITY_TRAIN", "affinity-train")


def run_train(directory, *arguments, expect_success=True):
    directory = Path(directory)
    command = [AFFINITY_TRAIN, "--poses", str(directory / "poses"), "--receptor", str(directory / "receptor.pdbqt"),
               "--targets", str(directory / "targets.csv"), *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if expect_success:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def parameters_of(path):
    return {name: p.detach().clone() for name, p in torch.jit.load(str(path)).named_parameters()}


@pytest.fixture
def dataset(tmp_path):
    targets = training_set.write_set(tmp_path, ligands=6, poses=3)
    return tmp_path, targets


def test_help_names_the_inputs():
    result = subprocess.run([AFFINITY_TRAIN, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("--poses", "--targets", "--combination", "--strategy", "--resume", "--device"):
        assert option in result.stdout


def test_training_lowers_the_loss(dataset):
    directory, _ = dataset
    training_set.export_tiny_model(directory / "model.pt", dtype="float32")
    log = directory / "log.csv"
    run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"), "--epochs",
              "25", "--learning-rate", "0.02", "--validation-fraction", "0", "--log", str(log), "--predictions",
              str(directory / "predictions.csv"), "--quiet")
    rows = list(csv.DictReader(open(log)))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 26))
    first, last = float(rows[0]["train_loss"]), float(rows[-1]["train_loss"])
    assert last < 0.2 * first, (first, last)
    predictions = list(csv.DictReader(open(directory / "predictions.csv")))
    assert len(predictions) == 6 and all(r["split"] == "train" for r in predictions)


def test_zero_epochs_evaluates_the_model_without_changing_it(dataset):
    directory, targets = dataset
    training_set.export_tiny_model(directory / "model.pt", energy_unit="kcal/mol")
    run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"), "--epochs",
              "0", "--validation-fraction", "0", "--combination", "boltzmann", "--dtype", "float64", "--predictions",
              str(directory / "predictions.csv"), "--quiet")
    reference = torch.jit.load(str(directory / "model.pt"))
    after = parameters_of(directory / "out.pt")
    for name, p in reference.named_parameters():
        assert torch.equal(after[name], p.detach()), name
    written = torch.jit.load(str(directory / "out.pt"))
    assert written.pocket_cutoff_nm == 1.0 and 6 in written.training_elements
    predictions = {r["ligand"]: r for r in csv.DictReader(open(directory / "predictions.csv"))}
    assert sorted(predictions) == sorted(targets)
    for name in targets:
        positions, numbers, mask, _ = training_set.complexes(directory, name, pocket_cutoff_angstrom=10.0)
        with torch.no_grad():
            energies = reference(positions, numbers, mask) * training_set.KJ_PER_KCAL
        expected = float(training_set.combined_delta_g(energies, "boltzmann"))
        assert float(predictions[name]["delta_g_kj_per_mol"]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


STEP_CASES = [
    ("boltzmann", "store-all", "dg", 0.0),
    ("boltzmann", "two-pass", "dg", 0.0),
    ("boltzmann", "one-pass", "dg", 0.0),
    ("mean", "one-pass", "dg", 0.0),
    ("max", "two-pass", "dg", 0.0),
    ("boltzmann", "two-pass", "pki", 0.0),
    ("mean", "store-all", "dg", 0.05),
]


@pytest.mark.parametrize("combination,strategy,readout,pose_weight", STEP_CASES)
def test_one_step_equals_full_autograd(dataset, combination, strategy, readout, pose_weight):
    directory, targets = dataset
    if readout == "pki":
        targets = training_set.write_set(directory, ligands=6, poses=3,
                                         targets={f"lig{i + 1}": 4.0 + 0.5 * i for i in range(6)})
    training_set.export_tiny_model(directory / "model.pt", energy_unit="kcal/mol")
    learning_rate = 0.05
    run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"), "--epochs", "1",
              "--optimizer", "sgd", "--learning-rate", str(learning_rate), "--ligands-per-step", "6",
              "--validation-fraction", "0", "--combination", combination, "--strategy", strategy, "--target-kind",
              readout, "--pose-weight", str(pose_weight), "--dtype", "float64", "--batch-size", "2", "--quiet")
    reference = torch.jit.load(str(directory / "model.pt"))
    before = {name: p.detach().clone() for name, p in reference.named_parameters()}
    loss = training_set.reference_loss(reference, directory, sorted(targets), targets, combination,
                                       energy_unit_factor=training_set.KJ_PER_KCAL, readout=readout,
                                       pose_weight=pose_weight)
    loss.backward()
    after = parameters_of(directory / "out.pt")
    largest = max(float(p.grad.abs().max()) for p in reference.parameters()) * learning_rate
    assert largest > 1e-3  # the step moves the parameters, so the comparison means something
    for name, p in reference.named_parameters():
        expected_step = -learning_rate * p.grad
        torch.testing.assert_close(after[name] - before[name], expected_step, rtol=0, atol=1e-6 * largest)


def test_adam_steps_equal_torch_adam(dataset):
    directory, targets = dataset
    training_set.export_tiny_model(directory / "model.pt")
    run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"), "--epochs", "3",
              "--optimizer", "adam", "--learning-rate", "0.01", "--ligands-per-step", "6", "--validation-fraction",
              "0", "--combination", "boltzmann", "--dtype", "float64", "--quiet")
    reference = torch.jit.load(str(directory / "model.pt"))
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        training_set.reference_loss(reference, directory, sorted(targets), targets, "boltzmann").backward()
        optimizer.step()
    after = parameters_of(directory / "out.pt")
    for name, p in reference.named_parameters():
        torch.testing.assert_close(after[name], p.detach(), rtol=0, atol=1e-9)


def test_resume_gives_the_parameters_of_an_uninterrupted_run(dataset):
    directory, _ = dataset
    training_set.export_tiny_model(directory / "model.pt", dtype="float32")
    common = ["--model", str(directory / "model.pt"), "--learning-rate", "0.01", "--validation-fraction", "0.34",
              "--ligands-per-step", "2", "--seed", "7", "--quiet"]
    run_train(directory, *common, "--epochs", "4", "--output", str(directory / "straight.pt"))
    run_train(directory, *common, "--epochs", "2", "--output", str(directory / "half.pt"), "--checkpoint",
              str(directory / "run.ckpt"), "--log", str(directory / "log.csv"))
    run_train(directory, *common, "--epochs", "4", "--output", str(directory / "resumed.pt"), "--resume",
              str(directory / "run.ckpt"), "--checkpoint", str(directory / "run.ckpt"), "--log",
              str(directory / "log.csv"))
    straight, half, resumed = (parameters_of(directory / f"{n}.pt") for n in ("straight", "half", "resumed"))
    assert any(not torch.equal(half[n], straight[n]) for n in straight)
    for name in straight:
        assert torch.equal(resumed[name], straight[name]), name
    epochs = [int(r["epoch"]) for r in csv.DictReader(open(directory / "log.csv"))]
    assert epochs == [1, 2, 3, 4]


def test_resume_with_another_seed_is_refused(dataset):
    directory, _ = dataset
    training_set.export_tiny_model(directory / "model.pt", dtype="float32")
    base = ["--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"), "--quiet"]
    run_train(directory, *base, "--epochs", "1", "--checkpoint", str(directory / "run.ckpt"))
    result = run_train(directory, *base, "--epochs", "2", "--seed", "5", "--resume", str(directory / "run.ckpt"),
                       expect_success=False)
    assert result.returncode != 0
    assert "written with --seed 0; this run has --seed 5" in result.stderr


def test_unknown_ligand_in_targets_is_named(dataset):
    directory, _ = dataset
    training_set.export_tiny_model(directory / "model.pt")
    with open(directory / "targets.csv", "a") as out:
        out.write("ghost,-7.5\n")
    result = run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"),
                       expect_success=False)
    assert result.returncode != 0
    assert "line 8 names ligand 'ghost', which has no pose file; expected" in result.stderr
    assert "ghost.pdbqt" in result.stderr
    assert not (directory / "out.pt").exists()


def test_non_numeric_target_is_named(dataset):
    directory, _ = dataset
    training_set.export_tiny_model(directory / "model.pt")
    lines = open(directory / "targets.csv").read().splitlines()
    lines[2] = "lig2,strong"
    open(directory / "targets.csv", "w").write("\n".join(lines) + "\n")
    result = run_train(directory, "--model", str(directory / "model.pt"), "--output", str(directory / "out.pt"),
                       expect_success=False)
    assert result.returncode != 0
    assert "targets.csv line 3: the target of ligand 'lig2' is 'strong'; expected a finite number" in result.stderr


def test_model_without_trainable_parameters_is_refused(dataset):
    directory, _ = dataset

    class Frozen(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64), requires_grad=False)

        def forward(self, positions, atomic_numbers, ligand_mask):
            return self.scale * (positions ** 2).sum(-1).sum(-1)

    torch.jit.script(Frozen()).save(str(directory / "frozen.pt"))
    result = run_train(directory, "--model", str(directory / "frozen.pt"), "--output", str(directory / "out.pt"),
                       expect_success=False)
    assert result.returncode != 0
    assert "has no trainable parameters" in result.stderr
    assert "frozen.pt" in result.stderr
