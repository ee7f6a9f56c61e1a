# SPDX-License-Identifier: MIT
"""affinity-train under `mpirun -n 2` against the same run as one process: the ranks share
each step's ligands, so the log, the predictions and the trained model must equal the
one-process run's with the same --ligands-per-step (the global batch), to 1e-6 relative in
float64; and a run resumed with another number of processes continues the same run.

Run through CTest (label mpi), which sets AFFINITY_TRAIN and AFFINITY_MPIEXEC.
"""
import csv
import os
import time
import uuid
from pathlib import Path

import pytest
import torch

import mpi_launch
import training_set

AFFINITY_TRAIN = os.environ.get("AFFINITY_TRAIN", "affinity-train")


@pytest.fixture
def dataset(tmp_path):
    training_set.write_set(tmp_path, ligands=7, poses=3)
    training_set.export_tiny_model(tmp_path / "model.pt", dtype="float64")
    return tmp_path


def train(ranks, directory, *arguments):
    directory = Path(directory)
    command = [AFFINITY_TRAIN, "--poses", str(directory / "poses"), "--receptor", str(directory / "receptor.pdbqt"),
               "--targets", str(directory / "targets.csv"), "--model", str(directory / "model.pt"), "--precision",
               "double", "--learning-rate", "0.01", "--validation-fraction", "0.3", "--seed", "5", *arguments]
    result = mpi_launch.run(ranks, command)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def parameters_of(path):
    return {name: p.detach().clone() for name, p in torch.jit.load(str(path)).named_parameters()}


def rows_of(path):
    return list(csv.DictReader(open(path)))


def assert_close_rows(rows, reference, skip=("seconds",)):
    assert len(rows) == len(reference)
    for row, expected in zip(rows, reference):
        assert row.keys() == expected.keys()
        for key in row:
            if key in skip:
                continue
            try:
                value, wanted = float(row[key]), float(expected[key])
            except ValueError:
                assert row[key] == expected[key], key
                continue
            assert value == pytest.approx(wanted, rel=1e-6, abs=1e-12), (key, row, expected)


def assert_same_parameters(path, reference_path):
    after, reference = parameters_of(path), parameters_of(reference_path)
    assert after.keys() == reference.keys()
    for name in reference:
        torch.testing.assert_close(after[name], reference[name], rtol=1e-6, atol=1e-12)


# centred-mse couples the ligands of a step (the mean is over all of them): the ranks must
# see each other's ΔG for the loss; mse with --mse-weight adds a second loss on one pass 1.
@pytest.mark.parametrize("loss", [["--loss", "mse"], ["--loss", "centred-mse", "--mse-weight", "0.5"],
                                  ["--loss", "ranking", "--combination", "boltzmann"]])
def test_two_ranks_equal_one_process(dataset, loss):
    d = dataset
    common = ["--epochs", "3", "--ligands-per-step", "3", *loss]
    outputs = {}
    for ranks in (1, 2):
        out = d / f"k{ranks}"
        out.mkdir()
        result = train(ranks, d, *common, "--output", str(out / "model.pt"), "--log", str(out / "log.csv"),
                       "--predictions", str(out / "predictions.csv"), "--checkpoint", str(out / "run.ckpt"))
        outputs[ranks] = (out, result)
    one, two = outputs[1][0], outputs[2][0]
    assert "2 processes" in outputs[2][1].stdout
    # One report and one log from rank 0: three epoch rows, not six.
    assert outputs[2][1].stdout.count("epoch   1/3") == 1
    assert_close_rows(rows_of(two / "log.csv"), rows_of(one / "log.csv"))
    assert_close_rows(rows_of(two / "predictions.csv"), rows_of(one / "predictions.csv"))
    assert_same_parameters(two / "model.pt", one / "model.pt")
    # The training changed the model (the comparison is not of two untrained copies).
    assert any(not torch.equal(a, b) for a, b in
               zip(parameters_of(one / "model.pt").values(), parameters_of(d / "model.pt").values()))


def test_resume_with_another_number_of_processes(dataset):
    d = dataset
    common = ["--ligands-per-step", "4", "--quiet"]
    train(1, d, *common, "--epochs", "4", "--output", str(d / "straight.pt"))
    train(1, d, *common, "--epochs", "2", "--output", str(d / "half.pt"), "--checkpoint", str(d / "run.ckpt"),
          "--log", str(d / "log.csv"))
    train(2, d, *common, "--epochs", "4", "--output", str(d / "resumed.pt"), "--resume", str(d / "run.ckpt"),
          "--checkpoint", str(d / "run.ckpt"), "--log", str(d / "log.csv"))
    assert_same_parameters(d / "resumed.pt", d / "straight.pt")
    assert [int(r["epoch"]) for r in rows_of(d / "log.csv")] == [1, 2, 3, 4]
    # And back: a checkpoint of two ranks resumed by one.
    train(2, d, *common, "--epochs", "2", "--output", str(d / "half2.pt"), "--checkpoint", str(d / "run2.ckpt"))
    train(1, d, *common, "--epochs", "4", "--output", str(d / "resumed2.pt"), "--resume", str(d / "run2.ckpt"))
    assert_same_parameters(d / "resumed2.pt", d / "straight.pt")


def test_other_strategies_are_refused_on_several_processes(dataset):
    d = dataset
    command = [AFFINITY_TRAIN, "--poses", str(d / "poses"), "--receptor", str(d / "receptor.pdbqt"), "--targets",
               str(d / "targets.csv"), "--model", str(d / "model.pt"), "--strategy", "one-pass", "--output",
               str(d / "out.pt"), "--quiet"]
    result = mpi_launch.run(2, command)
    assert result.returncode != 0
    assert "--strategy one-pass cannot be shared by 2 processes" in result.stderr
    assert not (d / "out.pt").exists()


def test_a_killed_rank_fails_the_run_without_a_model(dataset):
    d = dataset
    command = [AFFINITY_TRAIN, "--poses", str(d / "poses"), "--receptor", str(d / "receptor.pdbqt"), "--targets",
               str(d / "targets.csv"), "--model", str(d / "model.pt"), "--precision", "double", "--ligands-per-step",
               "4", "--epochs", "100000", "--output", str(d / "out.pt"), "--predictions", str(d / "predictions.csv"),
               "--log", str(d / "log.csv")]
    marker = uuid.uuid4().hex
    with open(d / "stdout.txt", "w") as stdout, open(d / "stderr.txt", "w") as stderr:
        run = mpi_launch.start(2, command, marker, stdout, stderr)
        try:
            # Midway: once rank 0 has logged an epoch, both ranks are in the step loop.
            deadline = time.monotonic() + 300
            while not ((d / "log.csv").exists() and len(rows_of(d / "log.csv")) >= 1):
                assert run.poll() is None, (d / "stderr.txt").read_text()
                assert time.monotonic() < deadline, "no epoch logged in 300 s"
                time.sleep(0.2)
            # The ranks share one run (two unrelated runs would each report alone).
            assert "2 processes sharing each step's ligands" in (d / "stdout.txt").read_text()
            mpi_launch.kill_rank(marker, 1)
            run.wait(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode != 0, (d / "stderr.txt").read_text()
    assert not (d / "out.pt").exists() and not (d / "predictions.csv").exists()
