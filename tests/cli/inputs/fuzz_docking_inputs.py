#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeded fuzzing of the docking-file readers through a real program.

Mutants of the tools' own example inputs (the rescore test fixtures: Vina's PDBQT output plain
and gzipped, SDF, MOL2, and sometimes the receptor too) are made by bit flips, deleted,
duplicated and swapped lines, junk lines and tails, corrupted numbers and counts, over-long
lines, CRLF line ends, and cut, junk-tailed or bit-flipped gzip streams. Each is run through
the program (affinity-rescore, or the sanitized reader driver affinity-read-inputs), which
fails the run when it:
  - ends by a signal, or reports a sanitizer error;
  - runs past the per-input time limit;
  - leaves a temporary output file (".NAME.partial-PID") behind;
  - exits 0 having scored (read) fewer poses than the intact input gives;
  - exits with a status other than 0, 1 (receptor unreadable) or 3 (something skipped).
Failing mutants are kept in WORK/failures with what was done to them.

usage: fuzz_docking_inputs.py --fixtures DIR --work DIR --rescore EXE --model MODEL
       fuzz_docking_inputs.py --fixtures DIR --work DIR --reader EXE
       [--seed N] [--count N] [--jobs N] [--time-limit S]
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zlib

POSE_FILES = ["imatinib.pdbqt", "caffeine.pdbqt.gz", "both.sdf", "imatinib.mol2"]
RECEPTOR = "receptor.pdbqt"
# The exit status the sanitizers are told to use, so that a report cannot pass for a skip.
SANITIZER_EXIT = 86
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:exitcode=%d:detect_leaks=1" % SANITIZER_EXIT,
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=%d" % SANITIZER_EXIT,
    "LSAN_OPTIONS": "exitcode=%d" % SANITIZER_EXIT,
}


def lines_of(text):
    return text.split(b"\n")


def junk(rng, n):
    if rng.random() < 0.5:
        return bytes(rng.randrange(32, 127) for _ in range(n))
    return bytes(rng.randrange(0, 256) for _ in range(n))


NUMBER = re.compile(rb"-?\d+(\.\d+)?")
WEIRD_NUMBERS = [b"nan", b"inf", b"-inf", b"1e300", b"-1e20", b"99999999", b"0", b"-1", b"1e+19", b"4294967297",
                 b"", b"x", b"999"]


def mutate_text(rng, text, name):
    """One or a few text-level mutations; returns (new text, description)."""
    lines = lines_of(text)
    kinds = ["flip", "delete", "duplicate", "swap", "junk_line", "corrupt_number", "corrupt_counts", "crlf",
             "truncate", "junk_tail", "long_line", "delete_block"]
    kind = rng.choice(kinds)
    n = len(lines)
    i = rng.randrange(n)
    if kind == "flip":
        data = bytearray(text)
        flips = rng.randint(1, 8)
        for _ in range(flips):
            p = rng.randrange(len(data))
            data[p] ^= 1 << rng.randrange(8)
        return bytes(data), "%d bit flip(s)" % flips
    if kind == "delete":
        return b"\n".join(lines[:i] + lines[i + 1:]), "deleted line %d" % (i + 1)
    if kind == "delete_block":
        k = rng.randint(2, 20)
        return b"\n".join(lines[:i] + lines[i + k:]), "deleted lines %d-%d" % (i + 1, i + k)
    if kind == "duplicate":
        return b"\n".join(lines[:i + 1] + lines[i:]), "duplicated line %d" % (i + 1)
    if kind == "swap":
        j = rng.randrange(n)
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines), "swapped lines %d and %d" % (i + 1, j + 1)
    if kind == "junk_line":
        return b"\n".join(lines[:i] + [junk(rng, rng.randint(1, 120))] + lines[i:]), "junk line at %d" % (i + 1)
    if kind == "corrupt_number":
        candidates = [k for k, line in enumerate(lines) if NUMBER.search(line)]
        k = rng.choice(candidates)
        matches = list(NUMBER.finditer(lines[k]))
        m = rng.choice(matches)
        value = rng.choice(WEIRD_NUMBERS)
        lines[k] = lines[k][:m.start()] + value + lines[k][m.end():]
        return b"\n".join(lines), "number on line %d set to %r" % (k + 1, value)
    if kind == "corrupt_counts":
        # The SDF counts line, the MOL2 counts line, or a PDBQT TORSDOF/BRANCH line.
        if name.endswith(".sdf"):
            heads = [k + 3 for k, line in enumerate(lines) if k + 3 < n and b"V2000" in lines[k + 3]]
            k = rng.choice(heads)
            lines[k] = b"%3d%3d" % (rng.randint(0, 999), rng.randint(0, 999)) + lines[k][6:]
        elif name.endswith(".mol2"):
            heads = [k + 2 for k, line in enumerate(lines) if line.startswith(b"@<TRIPOS>MOLECULE") and k + 2 < n]
            k = rng.choice(heads)
            lines[k] = b" %d %d 1 0 0" % (rng.randint(0, 100), rng.randint(0, 100))
        else:
            heads = [k for k, line in enumerate(lines) if line.startswith((b"TORSDOF", b"BRANCH", b"ATOM"))]
            k = rng.choice(heads)
            lines[k] = lines[k].split(b" ")[0] + b" %d %d" % (rng.randint(-5, 99), rng.randint(-5, 99))
        return b"\n".join(lines), "counts on line %d set to %r" % (k + 1, lines[k][:40])
    if kind == "crlf":
        return text.replace(b"\n", b"\r\n"), "CRLF line ends"
    if kind == "truncate":
        p = rng.randrange(len(text))
        return text[:p], "cut at byte %d of %d" % (p, len(text))
    if kind == "junk_tail":
        return text + junk(rng, rng.randint(1, 400)), "junk appended"
    # long_line
    size = rng.choice([20000, 40000, 70000])
    return b"\n".join(lines[:i] + [b"REMARK " + b"x" * size] + lines[i:]), "%d-byte line at %d" % (size, i + 1)


def mutate_gzip(rng, data):
    kind = rng.choice(["cut", "junk_tail", "flip", "cut_trailer"])
    if kind == "cut":
        p = rng.randrange(1, len(data))
        return data[:p], "gzip cut at byte %d of %d" % (p, len(data))
    if kind == "cut_trailer":
        k = rng.randint(1, 8)
        return data[:-k], "gzip trailer cut by %d bytes" % k
    if kind == "junk_tail":
        return data + junk(rng, rng.randint(1, 64)), "junk after the gzip stream"
    out = bytearray(data)
    p = rng.randrange(10, len(out))
    out[p] ^= 1 << rng.randrange(8)
    return bytes(out), "gzip bit flip at byte %d" % p


def make_mutant(rng, fixtures, folder):
    """Write one mutant (pose file, receptor) into folder; return the pose name, paths and description."""
    name = rng.choice(POSE_FILES)
    raw = open(os.path.join(fixtures, name), "rb").read()
    what = []
    gz = name.endswith(".gz")
    text = gzip.decompress(raw) if gz else raw
    if not gz or rng.random() < 0.6:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            text, d = mutate_text(rng, text, name[:-3] if gz else name)
            what.append(d)
    data = gzip.compress(text, mtime=0) if gz else text
    if gz and (not what or rng.random() < 0.5):
        data, d = mutate_gzip(rng, data)
        what.append(d)
    poses = os.path.join(folder, name)
    open(poses, "wb").write(data)
    receptor = os.path.join(fixtures, RECEPTOR)
    if rng.random() < 0.15:
        rtext = open(receptor, "rb").read()
        rtext, d = mutate_text(rng, rtext, RECEPTOR)
        what.append("receptor: " + d)
        receptor = os.path.join(folder, RECEPTOR)
        if rng.random() < 0.3:
            receptor += ".gz"
            blob = gzip.compress(rtext, mtime=0)
            if rng.random() < 0.5:
                blob, d = mutate_gzip(rng, blob)
                what.append("receptor: " + d)
            open(receptor, "wb").write(blob)
        else:
            open(receptor, "wb").write(rtext)
    return name, poses, receptor, "; ".join(what)


class Program:
    """How to run the program on one input and read how many poses it scored."""

    def __init__(self, args):
        self.args = args
        self.env = dict(os.environ)
        if args.reader:
            self.env.update(SANITIZER_ENV)

    def run(self, poses, receptor, folder):
        if self.args.reader:
            command = [self.args.reader, "--receptor", receptor, poses]
        else:
            command = [self.args.rescore, "--model", self.args.model, "--receptor", receptor, "--poses", poses,
                       "--out", os.path.join(folder, "r.csv"), "--json", os.path.join(folder, "r.json"),
                       "--out-sdf", os.path.join(folder, "r.sdf"), "--quiet", "--threads", "1"]
        start = time.monotonic()
        try:
            done = subprocess.run(command, cwd=folder, env=self.env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=self.args.time_limit)
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "seconds": time.monotonic() - start, "err": ""}
        result = {"status": done.returncode, "seconds": time.monotonic() - start,
                  "err": done.stderr.decode(errors="replace")[-3000:], "poses": None}
        if self.args.reader:
            m = re.search(r"poses_read (\d+)", done.stdout.decode(errors="replace"))
            result["poses"] = int(m.group(1)) if m else None
        else:
            try:
                result["poses"] = json.load(open(os.path.join(folder, "r.json")))["totals"]["poses_scored"]
            except (OSError, ValueError, KeyError):
                result["poses"] = None
        return result


def problems_of(result, intact_poses, folder):
    found = []
    status = result["status"]
    if status == "timeout":
        return ["still running after the time limit (a hang?)"]
    if status < 0:
        found.append("ended by signal %d" % -status)
    elif status == SANITIZER_EXIT or "runtime error:" in result["err"] or "Sanitizer" in result["err"]:
        found.append("sanitizer report")
    elif status not in (0, 1, 3):
        found.append("exit status %d" % status)
    if status == 0 and (result["poses"] is None or result["poses"] < intact_poses):
        found.append("exit 0 with %s poses scored; the intact input gives %d" % (result["poses"], intact_poses))
    leftovers = [f for f in os.listdir(folder) if ".partial-" in f]
    if leftovers:
        found.append("temporary files left behind: %s" % ", ".join(leftovers))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", required=True, help="the rescore test fixtures (make_rescore_fixtures.sh)")
    parser.add_argument("--work", required=True, help="a folder for the mutants (emptied first)")
    parser.add_argument("--rescore", help="affinity-rescore")
    parser.add_argument("--model", help="the model affinity-rescore scores with")
    parser.add_argument("--reader", help="affinity-read-inputs (the sanitized input layer) instead")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("AFFINITY_FUZZ_SEED", "1")))
    parser.add_argument("--count", type=int, default=int(os.environ.get("AFFINITY_FUZZ_COUNT", "500")))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per input")
    args = parser.parse_args()
    if bool(args.reader) == bool(args.rescore) or (args.rescore and not args.model):
        parser.error("give --rescore EXE --model MODEL, or --reader EXE")
    fixtures = os.path.abspath(args.fixtures)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(os.path.join(args.work, "failures"))
    program = Program(args)

    intact = {}
    for name in POSE_FILES:
        folder = os.path.join(args.work, "intact-" + name)
        os.makedirs(folder)
        result = program.run(os.path.join(fixtures, name), os.path.join(fixtures, RECEPTOR), folder)
        if result["status"] != 0 or not result["poses"]:
            sys.exit("fuzz: the intact %s does not score cleanly (%s): %s" % (name, result["status"], result["err"]))
        intact[name] = result["poses"]
    print("fuzz: seed %d, %d mutants; intact poses: %s" % (args.seed, args.count, intact), flush=True)

    rng = random.Random(args.seed)
    mutants = []
    for k in range(args.count):
        folder = os.path.join(args.work, "m%04d" % k)
        os.makedirs(folder)
        mutants.append((k, folder) + make_mutant(rng, fixtures, folder))

    def run_one(mutant):
        k, folder, name, poses, receptor, what = mutant
        result = program.run(poses, receptor, folder)
        return mutant, result, problems_of(result, intact[name], folder)

    statuses, failures, slowest = {}, 0, 0.0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for mutant, result, problems in pool.map(run_one, mutants):
            k, folder, name, poses, receptor, what = mutant
            statuses[str(result["status"])] = statuses.get(str(result["status"]), 0) + 1
            slowest = max(slowest, result["seconds"])
            if problems:
                failures += 1
                kept = os.path.join(args.work, "failures", "m%04d" % k)
                shutil.copytree(folder, kept)
                print("FAIL mutant %d of %s (%s): %s\n  %s" % (k, name, what, "; ".join(problems),
                                                                result["err"].strip().replace("\n", "\n  ")[-1500:]),
                      flush=True)
            else:
                shutil.rmtree(folder)
    print("fuzz: %d mutants, exit statuses %s, slowest %.1f s; %d failed" % (args.count, statuses, slowest, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
