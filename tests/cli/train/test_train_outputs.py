# SPDX-License-Identifier: MIT
"""affinity-train's outputs on hostile set-ups, through the real program: every output path is
checked before training, a full disk (a resource limit that makes writes fail with EFBIG, or a
/dev/full node as the output) is a clear message with exit 1 rather than an abort, no file is
left truncated, and the checkpoint keeps the trained parameters to write the model from.

Run through CTest (label cli), which sets AFFINITY_TRAIN to the built program.
"""
import os
import resource
import signal
import stat
import subprocess

import pytest
import torch

import training_set

AFFINITY_TRAIN = os.environ.get("AFFINITY_TRAIN", "affinity-train")


def run_train(directory, *arguments, limit_bytes=None):
    def limits():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    command = [AFFINITY_TRAIN, "--poses", str(directory / "poses"), "--receptor", str(directory / "receptor.pdbqt"),
               "--targets", str(directory / "targets.csv"), "--model", str(directory / "model.pt"), "--epochs", "2",
               "--validation-fraction", "0", "--quiet", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, preexec_fn=limits)


@pytest.fixture
def directory(tmp_path):
    training_set.write_set(tmp_path, ligands=4, poses=2)
    training_set.export_tiny_model(tmp_path / "model.pt", dtype="float32")
    return tmp_path


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if "partial" in p.name)


def test_checkpoint_and_output_on_one_path_are_refused_before_training(directory):
    result = run_train(directory, "--output", directory / "x.pt", "--checkpoint", directory / "x.pt", "--log",
                       directory / "log.csv")
    assert result.returncode == 1
    assert f"the outputs --output {directory / 'x.pt'} and --checkpoint {directory / 'x.pt'} are one file" in \
        result.stderr
    assert not (directory / "x.pt").exists() and not (directory / "log.csv").exists()  # no epoch ran


@pytest.mark.parametrize("option", ["--output", "--predictions", "--log", "--checkpoint"])
def test_an_output_that_is_an_input_is_refused(directory, option):
    targets = (directory / "targets.csv").read_bytes()
    arguments = {"--output": directory / "out.pt", option: directory / "targets.csv"}
    result = run_train(directory, *[x for pair in arguments.items() for x in pair])
    assert result.returncode == 1
    assert f"the output {option} {directory / 'targets.csv'} is the input --targets" in result.stderr
    assert (directory / "targets.csv").read_bytes() == targets


@pytest.mark.parametrize("option", ["--output", "--predictions", "--log", "--checkpoint"])
def test_an_unwritable_output_is_found_before_training(directory, option):
    # A probe that training would write after its first epoch: its absence shows none ran.
    probe = ("--checkpoint", directory / "run.ckpt") if option == "--log" else ("--log", directory / "log.csv")
    arguments = {"--output": directory / "out.pt", probe[0]: probe[1], option: "/nonexistent/x"}
    result = run_train(directory, *[x for pair in arguments.items() for x in pair])
    assert result.returncode == 1
    assert f"{option} /nonexistent/x" in result.stderr
    assert "No such file or directory" in result.stderr or "does not exist" in result.stderr
    assert not (directory / "out.pt").exists() and not probe[1].exists()
    assert leftovers(directory) == []


def test_a_full_disk_is_an_error_not_an_abort_and_leaves_no_truncated_file(directory):
    # Every file limited to 16 KiB: the model (about 38 KiB) cannot be written; an earlier
    # out.pt must stay as it was, and no temporary file may remain.
    (directory / "out.pt").write_bytes(b"earlier model\n")
    result = run_train(directory, "--output", directory / "out.pt", "--predictions", directory / "p.csv",
                       limit_bytes=16 * 1024)
    assert result.returncode == 1, result.stderr
    assert f"--output {directory / 'out.pt'}: cannot write: File too large" in result.stderr
    assert "no --checkpoint was given" in result.stderr
    assert (directory / "out.pt").read_bytes() == b"earlier model\n"
    assert not (directory / "p.csv").exists()  # committed together with the model, or not at all
    assert leftovers(directory) == []


def test_a_full_disk_while_checkpointing_is_an_error_not_an_abort(directory):
    result = run_train(directory, "--output", directory / "out.pt", "--checkpoint", directory / "run.ckpt",
                       limit_bytes=16 * 1024)
    assert result.returncode == 1, result.stderr
    assert f"--checkpoint {directory / 'run.ckpt'}: cannot write: File too large" in result.stderr
    assert not (directory / "run.ckpt").exists() and not (directory / "out.pt").exists()
    assert leftovers(directory) == []


def test_the_checkpoint_keeps_the_model_when_the_output_cannot_be_written(directory):
    if os.geteuid() != 0:
        pytest.skip("making a /dev/full node needs root")
    full = directory / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    result = run_train(directory, "--output", full, "--checkpoint", directory / "run.ckpt", "--seed", "3")
    assert result.returncode == 1, result.stderr
    assert f"--output {full}: cannot write: No space left on device" in result.stderr
    assert f"the checkpoint {directory / 'run.ckpt'} holds them" in result.stderr
    assert stat.S_ISCHR(os.lstat(full).st_mode)  # written through, not replaced
    # As the message says: resuming from the checkpoint writes the model without training
    # again, and it is the model an uninterrupted run writes.
    resumed = run_train(directory, "--output", directory / "resumed.pt", "--resume", directory / "run.ckpt",
                        "--seed", "3")
    assert resumed.returncode == 0, resumed.stderr
    straight = run_train(directory, "--output", directory / "straight.pt", "--seed", "3")
    assert straight.returncode == 0, straight.stderr
    a = dict(torch.jit.load(str(directory / "resumed.pt")).named_parameters())
    b = dict(torch.jit.load(str(directory / "straight.pt")).named_parameters())
    assert a.keys() == b.keys() and all(torch.equal(a[n], b[n]) for n in a)
