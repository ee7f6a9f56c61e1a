#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark affinity-rescore as K processes (mpirun -n K) on this machine, and the cost of
reading poses against scoring them.

The poses are the T4 lysozyme ligands of the rescoring tests (tests/cli/rescore/data), copied
with a seeded random displacement (0.05 A per atom) into --ligands ligands of 10 poses each, in
one SDF (tests/cli/mpi/jittered_poses.py, which the MPI tests use too); the receptor is the test
pocket. For each K the tool reads, scores and writes the
CSV, JSON and annotated SDF; wall and CPU time come from /usr/bin/time (CPU summed over the
ranks), and every run's outputs are compared with those of K = 1 (they must be identical, but
for the time stamp in the SDF records' header lines).
affinity-pose-read-benchmark times reading the same file (Open Babel parsing, and a scan for
record boundaries alone).

Usage: bench_mpi_rescore.py [--build DIR] [--ligands 300] [--ranks 1,2] [--model M.pt]
                            [--append-results]
Prints a table; with --append-results it appends a section to benchmarks/RESULTS.md with the
machine, versions, command and figures.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli", "mpi"))
from jittered_poses import RECEPTOR, without_time_stamps, write_poses  # noqa: E402

POSES_PER_LIGAND = 10


def same_output(path, reference):
    """Whether two outputs are the same bytes (an SDF: but for Open Babel's time stamps)."""
    mine, theirs = (open(p, "rb").read() for p in (path, reference))
    if path.endswith(".sdf"):
        mine, theirs = without_time_stamps(mine), without_time_stamps(theirs)
    return mine == theirs


def mpirun_prefix(ranks):
    if ranks == 1:
        return []
    prefix = ["mpirun", "--oversubscribe", "--bind-to", "none", "-n", str(ranks)]
    if os.geteuid() == 0:
        prefix.append("--allow-run-as-root")
    return prefix


def timed(command, log):
    """Run a command under /usr/bin/time; (wall s, CPU s of it and its children)."""
    with open(log, "w") as f:
        result = subprocess.run(["/usr/bin/time", "-f", "BENCH %e %U %S"] + command, stdout=f, stderr=subprocess.STDOUT)
    with open(log) as f:
        text = f.read()
    if result.returncode not in (0, 3):
        sys.exit("bench_mpi_rescore: %s failed (exit %d):\n%s" % (" ".join(command), result.returncode, text))
    line = [l for l in text.splitlines() if l.startswith("BENCH ")][-1].split()
    return float(line[1]), float(line[2]) + float(line[3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build folder (default: build)")
    parser.add_argument("--ligands", type=int, default=300, help="ligands of 10 poses (default 300)")
    parser.add_argument("--ranks", default="1,2", help="process counts, comma-separated (default 1,2)")
    parser.add_argument("--model", help="model (default: the tool's default model)")
    parser.add_argument("--append-results", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    args = parser.parse_args()

    tool = os.path.join(args.build, "wrappers", "cli", "rescore", "affinity-rescore")
    reader = os.path.join(args.build, "benchmarks", "mpi", "affinity-pose-read-benchmark")
    for program in (tool, reader):
        if not os.access(program, os.X_OK):
            sys.exit("bench_mpi_rescore: %s is not built; build the project first (.ci/setup.sh)" % program)
    work = os.path.join(args.build, "benchmarks", "mpi")
    os.makedirs(work, exist_ok=True)
    poses = os.path.join(work, "poses.sdf")
    write_poses(poses, args.ligands, POSES_PER_LIGAND, seed=1)
    count = args.ligands * POSES_PER_LIGAND

    read_table = subprocess.run([reader, poses], capture_output=True, text=True, check=True).stdout
    print(read_table, flush=True)

    rows = []
    command_text = ""
    for ranks in [int(k) for k in args.ranks.split(",")]:
        out = os.path.join(work, "out-%d" % ranks)
        os.makedirs(out, exist_ok=True)
        command = mpirun_prefix(ranks) + [tool, "--receptor", str(RECEPTOR), "--poses",
                                          poses, "--out", os.path.join(out, "results.csv"), "--json",
                                          os.path.join(out, "results.json"), "--out-sdf",
                                          os.path.join(out, "scored.sdf"), "--top", "0", "--quiet"]
        if args.model:
            command += ["--model", args.model]
        command_text = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command)
        wall, cpu = timed(command, os.path.join(out, "time.log"))
        same = all(same_output(os.path.join(out, f), os.path.join(work, "out-1", f))
                   for f in ("results.csv", "results.json", "scored.sdf"))
        rows.append((ranks, wall, cpu, count / wall, count / cpu, same))
        print("K = %d  %6d poses  %8.2f s wall  %8.2f s CPU  %8.1f poses/s (wall)  %8.1f poses per CPU s  "
              "outputs %s K = 1's" % (ranks, count, wall, cpu, count / wall, count / cpu,
                                     "equal to" if same else "DIFFER from"), flush=True)
    if args.append_results:
        append_results(rows, read_table, command_text, args, count)


def append_results(rows, read_table, command_text, args, count):
    cpu_model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mpi = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    babel = subprocess.run(["obabel", "-V"], capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()
    lines = ["", "## affinity-rescore as K processes (mpirun), %s" % datetime.datetime.utcnow().strftime(
                 "%Y-%m-%d %H:%M UTC"), "",
             "Machine: %s, %s, %d cores, no GPU; load average at the end %.1f (the machine is shared: wall "
             "times are upper bounds, CPU times steadier)." % (platform.platform(), cpu_model, os.cpu_count(), load[0]),
             "Versions: %s; %s; Python %s; model: %s." % (mpi, babel, platform.python_version(),
                                                        args.model or "the tool's default"),
             "Command: `python3 benchmarks/mpi/bench_mpi_rescore.py --ligands %d --ranks %s --append-results`; per K: "
             "`%s`." % (args.ligands, args.ranks, command_text), "",
             "Reading the %d poses (affinity-pose-read-benchmark):" % count, "", read_table.strip(), "",
             "| K | poses | wall (s) | CPU (s, all ranks) | poses/s (wall) | poses per CPU second | outputs = K 1's |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for ranks, wall, cpu, rate, cpu_rate, same in rows:
        lines.append("| %d | %d | %.2f | %.2f | %.1f | %.1f | %s |" % (ranks, count, wall, cpu, rate, cpu_rate,
                                                                     "yes" if same else "NO"))
    with open(os.path.join(ROOT, "benchmarks", "RESULTS.md"), "a") as f:
        f.write("\n".join(lines) + "\n")
    print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
