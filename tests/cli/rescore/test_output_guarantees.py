# SPDX-License-Identifier: MIT
"""affinity-rescore's output guarantees, through the real tool on hostile set-ups.

Each test makes the situation for real (a resource limit that makes writes fail with EFBIG, a
device node, a FIFO, a symbolic link, a signal, SIGKILL midway) and checks the files on disk
afterwards, byte for byte where it matters. Run through CTest (label cli), which sets
AFFINITY_RESCORE, AFFINITY_EXAMPLE_MODEL, AFFINITY_RESCORE_TEST_MODELS and
AFFINITY_RESCORE_FIXTURES.
"""
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

RESCORE = os.environ["AFFINITY_RESCORE"]
MODEL = os.environ["AFFINITY_EXAMPLE_MODEL"]
TEST_MODELS = Path(os.environ["AFFINITY_RESCORE_TEST_MODELS"])
FIXTURES = Path(os.environ["AFFINITY_RESCORE_FIXTURES"])


STARTED = []  # the tool's processes a test started, killed at its end should it fail midway


@pytest.fixture(autouse=True)
def kill_what_was_started():
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


def rescore(*arguments, cwd=None, limit_bytes=None, **popen):
    """Run affinity-rescore on the fixture receptor; limit_bytes caps every file it writes
    (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk)."""

    def limits():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    command = [RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"), "--quiet", *map(str, arguments)]
    return subprocess.run(command, cwd=cwd, capture_output=True, preexec_fn=limits, timeout=600, **popen)


def stderr_of(result):
    return result.stderr.decode("utf-8", "replace")


def temporaries(folder):
    return [p.name for p in Path(folder).iterdir() if ".partial-" in p.name]


def sdf_records(path):
    return Path(path).read_bytes().split(b"$$$$\n")[:-1]


def write_ligands(path, count):
    """An SDF of `count` ligands: the poses of both.sdf again and again, each copy titled anew."""
    records = sdf_records(FIXTURES / "both.sdf")
    out = []
    for copy in range(count // 2):
        for record in records:
            title, rest = record.split(b"\n", 1)
            out.append(b"%s_%d\n%s$$$$\n" % (title, copy, rest))
    Path(path).write_bytes(b"".join(out))
    return out


def outputs_in(folder):
    folder = Path(folder)
    return ["--out", folder / "r.csv", "--out-sdf", folder / "r.sdf", "--json", folder / "r.json"]


def contents(folder):
    return {name: (Path(folder) / name).read_bytes() for name in ("r.csv", "r.sdf", "r.json")}


def test_a_write_failing_on_one_output_leaves_every_earlier_output_as_it_was(tmp_path):
    # Finding 8: the outputs are committed together. A limit between the CSV's size and the
    # SDF's makes the SDF fail after the CSV is complete; no output may change.
    reference = tmp_path / "reference"
    reference.mkdir()
    assert rescore("--poses", FIXTURES / "both.sdf", *outputs_in(reference), "--no-journal").returncode == 0
    sizes = {name: len(data) for name, data in contents(reference).items()}
    assert sizes["r.csv"] < sizes["r.sdf"]
    for journal in (["--no-journal"], []):
        run = tmp_path / ("plain" if journal else "journalled")
        run.mkdir()
        earlier = {name: b"earlier " + name.encode() + b"\n" for name in sizes}
        for name, data in earlier.items():
            (run / name).write_bytes(data)
        result = rescore("--poses", FIXTURES / "both.sdf", *outputs_in(run), *journal,
                         limit_bytes=(sizes["r.csv"] + sizes["r.sdf"]) // 2)
        assert result.returncode == 1, stderr_of(result)
        assert "File too large" in stderr_of(result)
        if journal == []:  # the journal keeps what was scored, and the message says how to go on
            assert "rerun the same command with --resume" in stderr_of(result)
        assert contents(run) == earlier
        assert temporaries(run) == []


def test_one_path_for_two_outputs_is_refused_and_writes_nothing(tmp_path):
    # Finding 9.
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", tmp_path / "same", "--json", tmp_path / "same")
    assert result.returncode == 1
    assert f"--out {tmp_path / 'same'}" in stderr_of(result) and f"--json {tmp_path / 'same'}" in stderr_of(result)
    assert list(tmp_path.iterdir()) == []
    # Also when the two spellings differ: "./x" and a symbolic link to it.
    (tmp_path / "r.csv").write_text("earlier\n")
    (tmp_path / "link.sdf").symlink_to("r.csv")
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", tmp_path / "r.csv", "--out-sdf", tmp_path / "link.sdf",
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "--out-sdf" in stderr_of(result) and "are one file" in stderr_of(result)
    assert (tmp_path / "r.csv").read_text() == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.sdf", "r.csv"]


@pytest.mark.parametrize("output", ["--out", "--out-sdf", "--json"])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, output):
    # Finding 10: -p poses.sdf -o poses.sdf, --json model.pt, and the same through a hard link.
    shutil.copy(FIXTURES / "both.sdf", tmp_path / "poses.sdf")
    shutil.copy(MODEL, tmp_path / "model.pt")
    os.link(tmp_path / "poses.sdf", tmp_path / "hardlink.sdf")
    poses, model = (tmp_path / "poses.sdf").read_bytes(), (tmp_path / "model.pt").read_bytes()
    others = {"--out": tmp_path / "r.csv", "--out-sdf": tmp_path / "r.sdf", "--json": tmp_path / "r.json"}
    for victim, input_option in (("poses.sdf", "--poses"), ("model.pt", "--model"), ("hardlink.sdf", "--poses")):
        arguments = {**others, output: tmp_path / victim}
        command = ["--poses", tmp_path / "poses.sdf"] + [x for pair in arguments.items() for x in pair]
        result = subprocess.run([RESCORE, "--quiet", "--receptor", FIXTURES / "receptor.pdbqt", "--model",
                                 tmp_path / "model.pt", *map(str, command)], capture_output=True, timeout=600)
        assert result.returncode == 1, stderr_of(result)
        assert f"the output {output} {tmp_path / victim} is the input {input_option}" in stderr_of(result)
        assert (tmp_path / "poses.sdf").read_bytes() == poses
        assert (tmp_path / "model.pt").read_bytes() == model
        assert not any((tmp_path / name).exists() for name in ("r.csv", "r.sdf", "r.json"))


def test_links_devices_and_fifos_are_written_through_never_replaced(tmp_path):
    # Finding 11: a symbolic link keeps pointing at its target, which gets the output; a
    # character device and a FIFO stay what they are. The device is a copy of /dev/null's
    # node made here, so that the system's own is never at stake.
    reference = tmp_path / "reference"
    reference.mkdir()
    assert rescore("--poses", FIXTURES / "both.sdf", *outputs_in(reference)).returncode == 0
    expected = contents(reference)

    (tmp_path / "targets").mkdir()
    (tmp_path / "r.csv").symlink_to("targets/real.csv")  # dangling until the run writes it
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    device = tmp_path / "null"
    if os.geteuid() == 0:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    else:  # without root, the system's /dev/null (an unprivileged run cannot replace it anyway)
        device = Path("/dev/null")
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", tmp_path / "r.csv", "--json", fifo, "--out-sdf", device)
    reader.join(timeout=60)
    if reader.is_alive():  # nothing opened the FIFO to write: let the reader go
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert result.returncode == 0, stderr_of(result)
    assert (tmp_path / "r.csv").is_symlink()
    assert (tmp_path / "targets" / "real.csv").read_bytes() == expected["r.csv"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received == [expected["r.json"]]
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert temporaries(tmp_path) == [] and temporaries(tmp_path / "targets") == []


def test_a_full_device_is_an_error_and_changes_nothing(tmp_path):
    # /dev/full (a node made here) as the JSON: every write fails with ENOSPC.
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    (tmp_path / "r.csv").write_bytes(b"earlier\n")
    result = rescore("--poses", FIXTURES / "both.sdf", "--out", tmp_path / "r.csv", "--json", full, "--no-journal")
    assert result.returncode == 1
    assert f"--json {full}: cannot write: No space left on device" in stderr_of(result)
    assert (tmp_path / "r.csv").read_bytes() == b"earlier\n"
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert temporaries(tmp_path) == []


def start_on_fifo(tmp_path, records, *extra):
    """Start the tool on a FIFO fed with `records`, kept open so that the tool waits for more;
    records=None for a run that must stop before it reads (nothing is fed)."""
    fifo = tmp_path / "poses.sdf"
    if not fifo.exists():
        os.mkfifo(fifo)
    process = subprocess.Popen([RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"), "--quiet",
                                "--poses", "poses.sdf", *map(str, extra)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE,
                                                                                             (0, 0)))
    STARTED.append(process)
    if records is None:
        return process, None
    writer = open(fifo, "wb")
    writer.write(b"".join(records))
    writer.flush()
    return process, writer


def wait_for(condition, seconds=120):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("caught", [signal.SIGQUIT, signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_midway_leaves_no_temporary_file(tmp_path, caught):
    # Finding 12 (SIGQUIT; the others as before): the run waits on a FIFO with its temporary
    # files open; the signal must remove them, and the process die of it.
    records = write_ligands(tmp_path / "all.sdf", 4)
    process, writer = start_on_fifo(tmp_path, records[:3], *outputs_in(tmp_path))
    wait_for(lambda: len(temporaries(tmp_path)) == 3)
    process.send_signal(caught)
    process.wait(timeout=60)
    writer.close()
    assert process.returncode == -caught
    assert temporaries(tmp_path) == []
    assert not any((tmp_path / name).exists() for name in ("r.csv", "r.sdf", "r.json"))
    assert "rerun the same command with --resume" in process.stderr.read().decode()
    assert (tmp_path / "r.csv.journal").exists()  # the journal is what an interrupted run keeps


def test_sigpipe_on_stdout_leaves_no_temporary_file(tmp_path):
    # Finding 12: `affinity-rescore ... | head` with the reader gone before the header is
    # written: SIGPIPE arrives while the temporary files exist.
    read_end, write_end = os.pipe()
    os.close(read_end)
    process = subprocess.Popen([RESCORE, "--model", MODEL, "--receptor", str(FIXTURES / "receptor.pdbqt"),
                                "--poses", str(FIXTURES / "both.sdf"), *map(str, outputs_in(tmp_path))],
                               stdout=write_end, stderr=subprocess.PIPE, restore_signals=True)
    os.close(write_end)
    process.wait(timeout=300)
    assert process.returncode == -signal.SIGPIPE, process.stderr.read()
    assert temporaries(tmp_path) == []
    assert not any((tmp_path / name).exists() for name in ("r.csv", "r.sdf", "r.json"))


def test_the_json_is_valid_utf8_whatever_bytes_the_input_holds(tmp_path):
    # Finding 13: a Latin-1 title, a file name that is not UTF-8, and an Open Babel message
    # quoting such bytes (a malformed record in a file of that name).
    records = sdf_records(FIXTURES / "both.sdf")
    title, rest = records[0].split(b"\n", 1)
    latin1 = tmp_path / "latin1.sdf"
    latin1.write_bytes(b"caf\xe9 ligand\n" + rest + b"$$$$\n")
    odd_name = os.fsdecode(bytes(tmp_path) + b"/lig\xff\xfe.sdf")
    shutil.copy(FIXTURES / "malformed.sdf", odd_name)
    result = rescore("--poses", latin1, odd_name, "--out", tmp_path / "r.csv", "--json", tmp_path / "r.json")
    assert result.returncode == 3, stderr_of(result)
    raw = (tmp_path / "r.json").read_bytes()
    summary = json.loads(raw.decode("utf-8"))  # strict: raises on bytes that are not UTF-8
    names = [entry["name"] for entry in summary["ligands"]]
    assert "caf\ufffd ligand" in names
    skipped = [entry for entry in summary["ligands"] if entry["status"] == "skipped"]
    assert len(skipped) == 1 and skipped[0]["source"].endswith("/lig\ufffd\ufffd.sdf")
    assert summary["totals"]["ligands_scored"] == 1 and summary["totals"]["ligands_skipped"] == 1


def test_a_non_finite_energy_is_a_skip_not_a_number(tmp_path):
    # The model returns NaN for a complex with bromine: that ligand is skipped with the reason;
    # nothing non-finite reaches the outputs.
    result = subprocess.run([RESCORE, "--quiet", "--model", str(TEST_MODELS / "nan_model.pt"), "--receptor",
                             str(FIXTURES / "receptor.pdbqt"), "--poses", str(FIXTURES / "bromobenzene.sdf"),
                             str(FIXTURES / "caffeine.pdbqt.gz"), *map(str, outputs_in(tmp_path))],
                            capture_output=True, timeout=600)
    assert result.returncode == 3, stderr_of(result)
    assert "skipped ligand 'bromobenzene' (" + str(FIXTURES / "bromobenzene.sdf") + ", record 1)" in stderr_of(result)
    assert "returned a non-finite energy (nan) for pose 0; expected a finite energy" in stderr_of(result)
    csv = (tmp_path / "r.csv").read_text()
    assert "bromobenzene" not in csv and "nan" not in csv.lower() and "caffeine" in csv
    summary = json.loads((tmp_path / "r.json").read_text())
    status = {entry["name"]: entry["status"] for entry in summary["ligands"]}
    assert status == {"bromobenzene": "skipped", "caffeine": "scored"}
    assert summary["totals"]["ligands_skipped"] == 1 and summary["totals"]["ligands_scored"] == 1


def journal_records(path):
    return Path(path).read_bytes().count(b"\nrecord ") if Path(path).exists() else 0


def test_resume_after_sigkill_gives_the_bytes_of_an_uninterrupted_run(tmp_path):
    records = write_ligands(tmp_path / "all.sdf", 8)
    outputs = outputs_in(Path("out"))
    (tmp_path / "out").mkdir()
    (tmp_path / "reference").mkdir()

    # The uninterrupted run, on the same FIFO path (the outputs name the pose file).
    process, writer = start_on_fifo(tmp_path, records, *outputs_in(Path("reference")))
    writer.close()
    assert process.wait(timeout=300) == 0, process.stderr.read()
    expected = contents(tmp_path / "reference")
    assert not (tmp_path / "reference" / "r.csv.journal").exists()  # removed once the outputs are in place

    # Killed (SIGKILL) once the journal holds three ligands; a fourth record comes half
    # written, as if the kill had cut a write in two.
    process, writer = start_on_fifo(tmp_path, records[:len(records) // 2], *outputs)
    journal = tmp_path / "out" / "r.csv.journal"
    wait_for(lambda: journal_records(journal) >= 4)  # the identity and three ligands
    process.kill()
    process.wait(timeout=60)
    writer.close()
    assert not (tmp_path / "out" / "r.csv").exists()
    done = journal_records(journal) - 1
    with open(journal, "ab") as torn:
        torn.write(b"record 5000 0123456789abcdef\n55:part of a record")

    # Another run's options, or no --resume, are refused, naming the difference.
    process, _ = start_on_fifo(tmp_path, None, *outputs, "--resume", "--temperature", "310")
    assert process.wait(timeout=300) == 1
    refusal = process.stderr.read().decode()
    assert "its --temperature is '298.15 (" in refusal and "this run's is '310 (" in refusal
    process, _ = start_on_fifo(tmp_path, None, *outputs)
    assert process.wait(timeout=300) == 1
    assert "add --resume to continue that run" in process.stderr.read().decode()

    process, writer = start_on_fifo(tmp_path, records, *outputs, "--resume")
    writer.close()
    assert process.wait(timeout=300) == 0
    message = process.stderr.read().decode()
    assert f"{done} ligands done (a half-written last record was dropped)" in message
    assert contents(tmp_path / "out") == expected
    assert not journal.exists()


def test_resume_refuses_an_input_that_changed(tmp_path):
    records = write_ligands(tmp_path / "all.sdf", 4)
    (tmp_path / "out").mkdir()
    process, writer = start_on_fifo(tmp_path, records[:15], *outputs_in(Path("out")))
    journal = tmp_path / "out" / "r.csv.journal"
    wait_for(lambda: journal_records(journal) >= 3)  # the identity and two ligands
    process.kill()
    process.wait(timeout=60)
    writer.close()
    changed = records[4:] + records[:4]  # the same ligands, the first one moved to the end
    process, writer = start_on_fifo(tmp_path, changed, *outputs_in(Path("out")), "--resume")
    writer.close()
    assert process.wait(timeout=300) == 1
    assert "the pose files changed since the interrupted run" in process.stderr.read().decode()
    assert not (tmp_path / "out" / "r.csv").exists()
