#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark affinity-rescore end to end (read, score, write) on many docked poses.

The poses are Vina's docking output of the main job (wrappers/cli/rescore/example), copied
with a small seeded random displacement (a rigid shift of up to 0.5 A and 0.05 A per atom)
into ligands of 10 poses each, written as Vina-style multi-model PDBQT files, one per ligand.
For each pose count the tool reads them all, scores them with the model and writes the CSV,
JSON and annotated SDF; wall time, CPU time and peak RSS are measured with /usr/bin/time.
As a reference point, `vina --score_only` (one process per pose, as a pipeline calls it) is
timed on the first --vina-poses of the same poses.

Usage: bench_rescore.py [--build DIR] [--poses 1000,10000] [--vina-poses 100]
                        [--model M.pt] [--work DIR] [--append-results]
Prints a table; with --append-results it appends a section "Rescoring (affinity-rescore)"
with the machine, versions, command and figures to benchmarks/RESULTS.md.
"""
import argparse
import datetime
import os
import platform
import random
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSES_PER_LIGAND = 10


def docked_poses(docking):
    """[(ligand, [lines of one MODEL])] from the Vina outputs of the docking folder."""
    poses = []
    folder = os.path.join(docking, "docked")
    for name in sorted(os.listdir(folder)):
        model = None
        with open(os.path.join(folder, name)) as f:
            for line in f:
                if line.startswith("MODEL"):
                    model = []
                elif line.startswith("ENDMDL"):
                    poses.append((name.rsplit(".", 1)[0], model))
                    model = None
                elif model is not None:
                    model.append(line)
    return poses


def jittered(lines, rng):
    shift = [rng.uniform(-0.5, 0.5) for _ in range(3)]
    out = []
    for line in lines:
        if line.startswith(("ATOM", "HETATM")):
            xyz = [float(line[30 + 8 * k:38 + 8 * k]) + shift[k] + rng.gauss(0.0, 0.05) for k in range(3)]
            line = line[:30] + "".join("%8.3f" % v for v in xyz) + line[54:]
        out.append(line)
    return out


def write_pose_set(folder, count, source, seed=1):
    """count poses as count/10 ligand files of 10 models each; returns the files."""
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    rng = random.Random(seed)
    files = []
    for ligand in range(count // POSES_PER_LIGAND):
        name, _ = source[ligand % len(source)]
        same = [lines for n, lines in source if n == name]
        path = os.path.join(folder, "%s_%05d.pdbqt" % (name, ligand))
        with open(path, "w") as f:
            for m in range(POSES_PER_LIGAND):
                f.write("MODEL %d\n" % (m + 1))
                f.writelines(jittered(same[m % len(same)], rng))
                f.write("ENDMDL\n")
        files.append(path)
    return files


def timed(command, log):
    """Run a command under /usr/bin/time; (wall s, cpu s, peak RSS MiB)."""
    fmt = "BENCH %e %U %S %M"
    with open(log, "w") as f:
        subprocess.run(["/usr/bin/time", "-f", fmt] + command, stdout=f, stderr=subprocess.STDOUT, check=False)
    with open(log) as f:
        line = [l for l in f if l.startswith("BENCH ")][-1].split()
    return float(line[1]), float(line[2]) + float(line[3]), float(line[4]) / 1024.0


def tool_version(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True).stdout + ""
        return out.strip().splitlines()[0] if out.strip() else "?"
    except OSError:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build folder (default: build)")
    parser.add_argument("--poses", default="1000,10000", help="pose counts, comma-separated (default 1000,10000)")
    parser.add_argument("--vina-poses", type=int, default=100, help="poses scored by vina --score_only (default 100)")
    parser.add_argument("--model", help="model (default: the tool's default model)")
    parser.add_argument("--work", default=None, help="where the pose sets go (default: BUILD/benchmarks/rescore)")
    parser.add_argument("--append-results", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    args = parser.parse_args()

    tool = os.path.join(args.build, "wrappers", "cli", "rescore", "affinity-rescore")
    if not os.access(tool, os.X_OK):
        sys.exit("bench_rescore: %s is not built; build the project first (.ci/setup.sh)" % tool)
    work = args.work or os.path.join(args.build, "benchmarks", "rescore")
    docking = subprocess.run([os.path.join(ROOT, "wrappers", "cli", "rescore", "example", "dock_example_ligands.sh")],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    receptor = os.path.join(docking, "receptor.pdbqt")
    source = docked_poses(docking)

    rows = []
    commands = []
    for count in [int(c) for c in args.poses.split(",")]:
        folder = os.path.join(work, "poses-%d" % count)
        files = write_pose_set(folder, count, source)
        out = os.path.join(work, "out-%d" % count)
        os.makedirs(out, exist_ok=True)
        command = [tool, "--receptor", receptor, "--poses"] + files + [
            "--out", os.path.join(out, "results.csv"), "--json", os.path.join(out, "results.json"),
            "--out-sdf", os.path.join(out, "scored.sdf"), "--top", "0", "--quiet"]
        if args.model:
            command += ["--model", args.model]
        commands.append("affinity-rescore --receptor receptor.pdbqt --poses <%d files of 10 poses> --out results.csv "
                        "--json results.json --out-sdf scored.sdf --top 0 --quiet" % len(files))
        wall, cpu, rss = timed(command, os.path.join(out, "time.log"))
        rows.append(("affinity-rescore", count, wall, cpu, rss))
        print("affinity-rescore  %6d poses  %8.2f s wall  %8.2f s CPU  %7.1f poses/s  peak RSS %7.1f MiB"
              % (count, wall, cpu, count / wall, rss), flush=True)

    if args.vina_poses > 0:
        folder = os.path.join(work, "vina-poses")
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        rng = random.Random(1)
        singles = []
        for i in range(args.vina_poses):
            _, lines = source[i % len(source)]
            path = os.path.join(folder, "pose_%05d.pdbqt" % i)
            with open(path, "w") as f:
                f.writelines(jittered(lines, rng))
            singles.append(path)
        start = time.monotonic()
        cpu0 = os.times()
        for path in singles:
            subprocess.run(["vina", "--receptor", receptor, "--ligand", path, "--score_only", "--autobox", "--cpu", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.monotonic() - start
        cpu1 = os.times()
        cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
        rows.append(("vina --score_only", args.vina_poses, wall, cpu, float("nan")))
        print("vina --score_only %6d poses  %8.2f s wall  %8.2f s CPU  %7.1f poses/s  (one process per pose)"
              % (args.vina_poses, wall, cpu, args.vina_poses / wall), flush=True)

    if args.append_results:
        append_results(rows, commands, args, tool)


def append_results(rows, commands, args, tool):
    path = os.path.join(ROOT, "benchmarks", "RESULTS.md")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("# Benchmark results\n")
    cpu_model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / 1024 ** 2
    load = os.getloadavg()
    lines = ["", "## Rescoring (affinity-rescore)", "",
             "Recorded %s on %s: %s, %d cores, %.0f GiB, no GPU; load average at the end %.1f (other jobs shared the "
             "machine, so wall times are upper bounds; CPU times are steadier)."
             % (datetime.date.today().isoformat(), platform.platform(), cpu_model, os.cpu_count(), mem_gib, load[0]),
             "Versions: %s; %s; model: the tool's default unless given (%s)."
             % (tool_version(["vina", "--version"]), tool_version(["obabel", "-V"]), args.model or "example contact model"),
             "",
             "Command: `python3 benchmarks/rescore/bench_rescore.py --build %s --poses %s --vina-poses %d "
             "--append-results`; per size: `%s`; vina: `vina --receptor receptor.pdbqt --ligand pose.pdbqt "
             "--score_only --autobox --cpu 1`, once per pose."
             % (os.path.relpath(args.build, ROOT), args.poses, args.vina_poses, commands[-1] if commands else ""),
             "",
             "| program | poses | wall (s) | CPU (s) | poses/s (wall) | peak RSS (MiB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, count, wall, cpu, rss in rows:
        lines.append("| %s | %d | %.2f | %.2f | %.1f | %s |"
                     % (name, count, wall, cpu, count / wall, "-" if rss != rss else "%.0f" % rss))
    with open(path, "a") as f:
        f.write("\n".join(lines) + "\n")
    print("appended to %s" % path)


if __name__ == "__main__":
    main()
