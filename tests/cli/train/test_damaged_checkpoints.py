# SPDX-License-Identifier: MIT
"""affinity-train's checkpoints: written with a SHA-256, atomically; a damaged one is refused on
--resume with a message naming it (never a crash, never accepted); a full disk is a clear
message that leaves the previous checkpoint; options that differ from the checkpoint's are
named unless --resume-with-new-options.

Run through CTest (label cli), which sets AFFINITY_TRAIN to the built program."""
import hashlib
import io
import os
import resource
import signal
import sys
import zipfile
from pathlib import Path

import pytest

import training_set

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
import model_damage  # noqa: E402

AFFINITY_TRAIN = os.environ.get("AFFINITY_TRAIN", "affinity-train")
HEADER = b"affinity-train checkpoint 2 "


def train(directory, *arguments, **kwargs):
    import subprocess
    command = [AFFINITY_TRAIN, "--poses", str(directory / "poses"), "--receptor", str(directory / "receptor.pdbqt"),
               "--targets", str(directory / "targets.csv"), "--model", str(directory / "model.pt"), "--quiet",
               *arguments]
    if "--output" not in arguments:
        command += ["--output", str(directory / "out.pt")]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


def ended(result):
    status = f"signal {-result.returncode}" if result.returncode < 0 else f"exit {result.returncode}"
    return f"{status}; stderr: {result.stderr[-2000:]}"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("checkpointed")
    training_set.write_set(directory, ligands=4, poses=2)
    training_set.export_tiny_model(directory / "model.pt", dtype="float32")
    result = train(directory, "--epochs", "1", "--checkpoint", str(directory / "run.ckpt"))
    assert result.returncode == 0, ended(result)
    return directory


def split(checkpoint):
    header, archive = checkpoint.split(b"\n", 1)
    return header, archive


def with_header(archive):
    return HEADER + b"%d %s\n" % (len(archive), hashlib.sha256(archive).hexdigest().encode()) + archive


def test_a_checkpoint_records_its_size_and_sha256(run_dir):
    header, archive = split((run_dir / "run.ckpt").read_bytes())
    assert header == HEADER + b"%d %s" % (len(archive), hashlib.sha256(archive).hexdigest().encode())
    assert zipfile.ZipFile(io.BytesIO(archive)).testzip() is None
    assert [p.name for p in run_dir.iterdir() if "partial" in p.name] == []


def flipped(data, position):
    damaged = bytearray(data)
    damaged[position] ^= 0x10
    return bytes(damaged)


def other_hex_digit(data, position):
    damaged = bytearray(data)
    damaged[position] = ord("1") if damaged[position] != ord("1") else ord("2")
    return bytes(damaged)


def inside_largest_record(archive):
    """The position of the middle byte of the archive's largest record, as stored."""
    spans = [model_damage.record_span(archive, name) for name, _, _ in model_damage.records(archive)]
    start, length = max(spans, key=lambda span: span[1])
    return start + length // 2


def damages(intact):
    header, archive = split(intact)
    size = len(intact)
    return {
        "a flipped bit in the archive": (flipped(intact, len(header) + 1 + len(archive) // 2), "its SHA-256 is"),
        # Another hex digit (a flipped bit could turn '0' into a space, which splits the header line).
        "another digit in the header's digest": (other_hex_digit(intact, len(header) - 5), "its SHA-256 is"),
        "cut short": (intact[: size * 2 // 3], "the header states"),
        "junk appended": (intact + b"junk", "the header states"),
        "no header": (intact[len(header) + 1 + 7:], "its first line is not"),
        "empty": (b"", "its first line is not"),
        # Made to pass the checksum: the archive's checks refuse it.
        "an emptied storage under a correct checksum": (
            with_header(model_damage.emptied_storage(archive)), "is damaged: record"),
        # Inside a record's stored bytes, which its CRC-32 covers (a byte of a local header's
        # time or alignment padding is covered by nothing, and is harmless).
        "a bit flipped under a correct checksum": (
            with_header(flipped(archive, inside_largest_record(archive))), "is damaged"),
    }


@pytest.mark.parametrize("damage", ["a flipped bit in the archive", "another digit in the header's digest", "cut short",
                                    "junk appended", "no header", "empty",
                                    "an emptied storage under a correct checksum",
                                    "a bit flipped under a correct checksum"])
def test_a_damaged_checkpoint_is_refused_on_resume(run_dir, tmp_path, damage):
    content, expected = damages((run_dir / "run.ckpt").read_bytes())[damage]
    checkpoint = tmp_path / "damaged.ckpt"
    checkpoint.write_bytes(content)
    result = train(run_dir, "--epochs", "2", "--resume", str(checkpoint), "--output", str(tmp_path / "out.pt"))
    assert result.returncode == 1, ended(result)
    assert f"the checkpoint {checkpoint}" in result.stderr, result.stderr
    assert expected in result.stderr, result.stderr
    assert not (tmp_path / "out.pt").exists()


def limit_file_size(limit):
    def apply():
        # With SIGXFSZ ignored, a write past the limit fails with EFBIG, as one on a full disk fails with ENOSPC.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_is_a_clear_message_and_keeps_the_previous_checkpoint(run_dir, tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    previous = (run_dir / "run.ckpt").read_bytes()
    checkpoint.write_bytes(previous)
    result = train(run_dir, "--epochs", "2", "--resume", str(checkpoint), "--checkpoint", str(checkpoint), "--output",
                   str(tmp_path / "out.pt"), preexec_fn=limit_file_size(2048))
    assert result.returncode == 1, ended(result)
    assert f"cannot write the checkpoint {checkpoint} (writing" in result.stderr, result.stderr
    assert "File too large" in result.stderr and "the previous checkpoint, if any, is unchanged" in result.stderr
    assert checkpoint.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


def test_resume_with_other_options_names_each_difference(run_dir, tmp_path):
    result = train(run_dir, "--epochs", "2", "--resume", str(run_dir / "run.ckpt"), "--learning-rate", "0.01",
                   "--combination", "mean", "--output", str(tmp_path / "out.pt"))
    assert result.returncode == 1, ended(result)
    assert "was written with other options than this run's" in result.stderr
    assert "--learning-rate: '0.001' in the checkpoint, '0.01' in this run" in result.stderr, result.stderr
    assert "--combination: 'boltzmann' in the checkpoint, 'mean' in this run" in result.stderr
    assert "--resume-with-new-options" in result.stderr
    result = train(run_dir, "--epochs", "2", "--resume", str(run_dir / "run.ckpt"), "--learning-rate", "0.01",
                   "--combination", "mean", "--resume-with-new-options", "--output", str(tmp_path / "out.pt"))
    assert result.returncode == 0, ended(result)
    assert (tmp_path / "out.pt").exists()
