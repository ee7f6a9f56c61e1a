# SPDX-License-Identifier: MIT
"""affinity-rescore under `mpirun -n 2` against one process: the CSV, JSON and SDF are the
same bytes (the SDF but for the time stamp Open Babel writes into each record's header line),
the skipped ligands are reported as one process reports them whichever rank scored them, and a
rank killed midway leaves no output file at all (only rank 0's journal).

Run through CTest (label mpi), which sets AFFINITY_RESCORE and AFFINITY_MPIEXEC.
"""
import os
import subprocess
import time
import uuid

import mpi_launch
from jittered_poses import RECEPTOR, without_time_stamps, write_poses

AFFINITY_RESCORE = os.environ.get("AFFINITY_RESCORE", "affinity-rescore")


def rescore_command(poses, out):
    return [AFFINITY_RESCORE, "--receptor", str(RECEPTOR), "--poses", str(poses), "--out", str(out / "scores.csv"),
            "--json", str(out / "summary.json"), "--out-sdf", str(out / "scored.sdf"), "--top", "5"]


def messages(stderr):
    """The tool's messages without its progress line (which has a rate in it)."""
    return [line for line in stderr.splitlines() if line.startswith("affinity-rescore:") and "% of the input" not in line]


def test_two_ranks_write_the_bytes_of_one_process(tmp_path):
    # 300 ligands: two blocks of ligands shared by the ranks; the skipped ligands fall to rank
    # 0 (index 10) and to rank 1 (index 290, in the second block's second half).
    poses = tmp_path / "poses.sdf"
    write_poses(poses, ligands=300, poses=2, unknown_element_at=(10, 290))
    runs = {}
    for ranks in (1, 2):
        out = tmp_path / f"k{ranks}"
        out.mkdir()
        runs[ranks] = (out, mpi_launch.run(ranks, rescore_command(poses, out)))
    (one, first), (two, second) = runs[1], runs[2]
    assert first.returncode == 3, first.stderr  # some ligands skipped
    assert second.returncode == 3, second.stdout + second.stderr
    for name in ("scores.csv", "summary.json"):
        assert (two / name).read_bytes() == (one / name).read_bytes(), name
    sdf_one, sdf_two = (without_time_stamps((d / "scored.sdf").read_bytes()) for d in (one, two))
    assert sdf_two == sdf_one
    # The skipped ligands were reported once each, in input order, as one process reports them.
    assert messages(second.stderr) == messages(first.stderr)
    skipped = [m for m in messages(first.stderr) if "skipped ligand" in m]
    assert len(skipped) == 2 and "'lig00010'" in skipped[0] and "'lig00290'" in skipped[1]
    # One summary from rank 0: the ranking and the totals (output names aside) as one process prints them.
    assert second.stdout.count("ligands (") == 1
    assert second.stdout.replace(str(two), "OUT") == first.stdout.replace(str(one), "OUT")
    assert len((one / "scores.csv").read_text().splitlines()) == 1 + 298 * 2


def test_a_killed_rank_leaves_no_output(tmp_path):
    poses = tmp_path / "poses.sdf"
    write_poses(poses, ligands=3000, poses=3)
    out = tmp_path / "out"
    out.mkdir()
    marker = uuid.uuid4().hex
    with open(tmp_path / "stdout.txt", "w") as stdout, open(tmp_path / "stderr.txt", "w") as stderr:
        run = mpi_launch.start(2, rescore_command(poses, out), marker, stdout, stderr)
        try:
            # Midway: rank 0 has opened its (temporary) outputs and rank 1 has been scoring.
            deadline = time.monotonic() + 300
            while not any(p.name.startswith(".scores.csv.partial") for p in out.iterdir()):
                assert run.poll() is None, (tmp_path / "stderr.txt").read_text()
                assert time.monotonic() < deadline, "rank 0 opened no output in 300 s"
                time.sleep(0.2)
            time.sleep(3)
            assert run.poll() is None, "the run ended before a rank could be killed"
            # Rank 0 alone writes: one set of temporary outputs, not one per rank.
            assert len([p for p in out.iterdir() if p.name.startswith(".scores.csv.partial")]) == 1
            mpi_launch.kill_rank(marker, 1)
            run.wait(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode != 0
    # No output and no temporary file; rank 0's journal stays, for a resumed run of one process.
    assert sorted(p.name for p in out.iterdir()) == ["scores.csv.journal"]


def test_standard_input_is_refused_under_mpirun(tmp_path):
    # Every rank reads the whole input; standard input reaches rank 0 alone, so it is refused
    # (exit status 2) by every rank alike, with one message from rank 0.
    out = tmp_path / "out"
    out.mkdir()
    command = rescore_command("-", out) + ["--format", "sdf"]
    result = subprocess.run(mpi_launch.mpirun_command(2, command), input=RECEPTOR.read_text(), capture_output=True,
                            text=True, timeout=600, env=mpi_launch.environment())
    assert result.returncode == 2, result.stdout + result.stderr
    refusals = [m for m in messages(result.stderr) if "--poses - is standard input" in m]
    assert len(refusals) == 1 and "the 2 processes under mpirun cannot each read whole" in refusals[0]
    assert list(out.iterdir()) == []
