#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Held-out accuracy of an affinity model, series by series, against two baselines.

For each series of the chosen split of the manifest, runs the real affinity-rescore once
(`--receptor <receptor> --poses <poses> --combination C --out <csv> --json <json>`), times
it, takes each ligand's combined ΔG from the tool's per-pose CSV (column
combined_dG_kcal_mol, the same on every pose row of a ligand; the tool combines, this script
does not), joins the predictions to the manifest by (series, ligand) and reports, per series
and as means over series with percentile-bootstrap 95% intervals (series resampled):
N, Pearson r, Spearman ρ, Kendall τ_b and the centred RMSE of

  model              the model's combined ΔG (kcal/mol)
  vina               the manifest's vina_score (AutoDock Vina --score_only, best pose)
  minus_heavy_atoms  −heavy_atoms: "bigger binds tighter" (its centred RMSE is in atoms)

beside the series-mean RMSE (predicting every ligand at its series' mean ΔG, the population
standard deviation of the targets) over the same ligands. Ligands the tool skipped or did not
report are counted and listed, never dropped silently; series with fewer than 3 ligands (or
no spread) are reported as excluded.

Manifest (CSV): ligand,series,protein,receptor,poses,target,split,source,heavy_atoms,
num_poses,vina_score. receptor and poses are paths relative to the manifest's folder; poses
is one file per series holding each ligand's poses as consecutive records titled with the
ligand's name; target is the experimental ΔG in kcal/mol (more negative = tighter binding);
vina_score may be empty.

Writes to --out-dir: per_series.csv (one row per series and predictor, with the reason of any
exclusion), predictions.csv (one row per ligand of the split), summary.json, and rescore/
(the tool's CSV, JSON and log of each series). Appends a markdown section with the machine,
versions, command and tables to --results (unless --no-results) and prints it.

Example:
  python3 benchmarks/affinity/evaluate_heldout.py \\
      --manifest wrappers/cli/train/measured_affinities/manifest.csv --split test \\
      --out-dir /tmp/heldout --label "default model" --extra-args="--threads 2"
"""
import argparse
import csv
import datetime
import hashlib
import importlib.util
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RESCORE = os.path.join(ROOT, "build", "wrappers", "cli", "rescore", "affinity-rescore")
DEFAULT_RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS.md")
MANIFEST_COLUMNS = ["ligand", "series", "protein", "receptor", "poses", "target", "split", "source",
                    "heavy_atoms", "num_poses", "vina_score"]
PREDICTORS = OrderedDict([
    ("model", "model (combined ΔG)"),
    ("vina", "Vina score_only"),
    ("minus_heavy_atoms", "−heavy atoms"),
])
METRICS = [("pearson", "r"), ("spearman", "ρ"), ("kendall_tau", "τ"), ("centred_rmse", "cRMSE"),
           ("series_mean_rmse", "series-mean RMSE")]


def load_metrics():
    """openmmaffinity.metrics from this source tree (a pure-numpy file, importable without the
    compiled plugin or an install), else from the installed package."""
    path = os.path.join(ROOT, "wrappers", "python", "openmmaffinity", "metrics.py")
    if os.path.isfile(path):
        spec = importlib.util.spec_from_file_location("openmmaffinity_metrics", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module, path
    from openmmaffinity import metrics
    return metrics, metrics.__file__


def fail(message):
    sys.exit("evaluate_heldout: " + message)


def optional_float(text):
    text = (text or "").strip()
    return float(text) if text else None


def read_manifest(path, split):
    """The manifest's rows of the split, as dicts with typed fields and resolved paths."""
    folder = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        reader = csv.DictReader(row for row in f if not row.startswith("#"))
        missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            fail("%s lacks the column(s) %s" % (path, ", ".join(missing)))
        all_rows = list(reader)
    splits = sorted({r["split"] for r in all_rows})
    rows, seen = [], set()
    for line, r in enumerate(all_rows, start=2):
        if r["split"] != split:
            continue
        key = (r["series"], r["ligand"])
        if key in seen:
            fail("%s: ligand %s of series %s appears twice" % (path, r["ligand"], r["series"]))
        seen.add(key)
        try:
            rows.append({
                "series": r["series"], "ligand": r["ligand"], "protein": r["protein"], "split": r["split"],
                "source": r["source"], "target": optional_float(r["target"]),
                "heavy_atoms": int(r["heavy_atoms"]),
                "num_poses": int(r["num_poses"]) if r["num_poses"].strip() else None,
                "vina_score": optional_float(r["vina_score"]),
                "receptor": os.path.normpath(os.path.join(folder, r["receptor"])),
                "poses": os.path.normpath(os.path.join(folder, r["poses"])),
            })
        except ValueError as e:
            fail("%s line %d: %s" % (path, line, e))
    if not rows:
        fail("%s has no rows with split '%s' (splits: %s)" % (path, split, ", ".join(splits)))
    return rows, folder


def safe_name(text):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def run_rescore(args, series, receptor, poses, work):
    """Runs affinity-rescore on one series' pose file; returns what it reported."""
    stem = os.path.join(work, safe_name(series))
    csv_path, json_path, log_path = stem + ".csv", stem + ".json", stem + ".log"
    command = [args.rescore, "--receptor", receptor, "--poses", poses, "--combination", args.combination,
               "--out", csv_path, "--json", json_path, "--top", "0", "--quiet"]
    if args.model:
        command[1:1] = ["--model", args.model]
    command += shlex.split(args.extra_args)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log_path, "w") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if status not in (0, 3):  # 3: finished, some ligand or file skipped
        with open(log_path) as f:
            tail = f.read()[-3000:]
        fail("affinity-rescore exited with %d on series %s:\n  %s\n%s"
             % (status, series, " ".join(shlex.quote(c) for c in command), tail))

    with open(json_path) as f:
        summary = json.load(f)
    entries = {}
    for entry in summary.get("ligands", []):
        entries.setdefault(entry["name"], []).append(entry)
    combined, pose_rows = {}, {}
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        for column in ("ligand", "combined_dG_kcal_mol"):
            if column not in (reader.fieldnames or []):
                fail("%s has no column %s (columns: %s)" % (csv_path, column, reader.fieldnames))
        for row in reader:
            name = row["ligand"]
            combined.setdefault(name, set()).add(row["combined_dG_kcal_mol"])
            pose_rows[name] = pose_rows.get(name, 0) + 1
    ligands = {}
    for name in set(entries) | set(combined):
        found = entries.get(name, [])
        scored = [e for e in found if e.get("status") == "scored"]
        values = combined.get(name, set())
        if len(found) > 1 or len(values) > 1:
            ligands[name] = {"status": "ambiguous",
                             "reason": "more than one group of records with this title in the pose file"}
        elif scored and values:
            value = next(iter(values))
            ligands[name] = {"status": "scored", "dG": float(value) if value.strip() else None,
                             "poses": pose_rows[name], "flags": scored[0].get("flags", "") or ""}
            if ligands[name]["dG"] is None:
                ligands[name].update(status="no value", reason="empty combined_dG_kcal_mol")
        else:
            reason = found[0].get("reason", "") if found else "in the CSV but not in the JSON summary"
            ligands[name] = {"status": "skipped", "reason": reason}
    totals = summary.get("totals", {})
    return {
        "series": series, "command": command, "exit_status": status, "wall_s": wall, "cpu_s": cpu,
        "poses_scored": sum(pose_rows.values()), "ligands": ligands, "totals": totals,
        "settings": summary.get("settings", {}), "csv": csv_path, "json": json_path, "log": log_path,
    }


def join(rows, runs):
    """One prediction record per manifest row, with why the model value is missing if it is."""
    by_poses = {(r["series"], r["poses"]): r for r in runs}
    out = []
    for row in rows:
        run = by_poses[(row["series"], row["poses"])]
        got = run["ligands"].get(row["ligand"])
        record = {
            "series": row["series"], "ligand": row["ligand"], "split": row["split"], "target": row["target"],
            "model": None, "vina": row["vina_score"], "minus_heavy_atoms": -row["heavy_atoms"],
            "heavy_atoms": row["heavy_atoms"], "num_poses": row["num_poses"], "poses_scored": None,
            "flags": "", "status": "missing", "reason": "not in affinity-rescore's output",
        }
        if got is not None:
            record["status"] = got["status"]
            record["reason"] = got.get("reason", "")
            if got["status"] == "scored":
                record.update(model=got["dG"], poses_scored=got["poses"], flags=got["flags"])
        out.append(record)
    return out


def fmt(value, digits=3):
    if value is None:
        return ""
    if isinstance(value, float):
        return "%.*f" % (digits, value) if value == value else "nan"
    return str(value)


def md_table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def package_version(*names):
    from importlib import metadata
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return "not installed"


def git_commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" (working tree with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            memory = ", %.0f GiB" % (kib / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    text = "%s, %d cores (%d usable)%s; %s" % (cpu, os.cpu_count(), usable, memory, platform.platform())
    try:
        gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout.strip()
        if gpus:
            text += "; GPUs: " + "; ".join(gpus.splitlines())
    except (OSError, subprocess.SubprocessError):
        pass
    return text


def file_digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:12]
    except OSError:
        return "unreadable"


def summarize(metrics, result, args):
    """Means over series, with bootstrap intervals, per predictor and for the baseline."""
    summary = OrderedDict()
    for predictor in PREDICTORS:
        entry = OrderedDict(series=len(result.values(predictor, "n")),
                            ligands=int(sum(result.values(predictor, "n"))))
        for metric, _ in METRICS:
            values = result.values(predictor, metric)
            entry[metric] = (metrics.bootstrap_mean(values, n=args.bootstrap, seed=args.seed)
                             if values else None)
        summary[predictor] = entry
    baseline = [s.series_mean_rmse for s in result.series]
    summary["series_mean"] = OrderedDict(
        series=len(baseline), ligands=int(sum(s.n for s in result.series)),
        series_mean_rmse=metrics.bootstrap_mean(baseline, n=args.bootstrap, seed=args.seed) if baseline else None)
    return summary


def interval(triple, digits=2):
    if triple is None:
        return "–"
    mean, low, high = triple
    return "%.*f [%.*f, %.*f]" % (digits, mean, digits, low, digits, high)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", default=os.path.join(ROOT, "wrappers", "cli", "train", "measured_affinities",
                                                           "manifest.csv"), help="manifest CSV (default: %(default)s)")
    parser.add_argument("--split", default="test", help="the manifest split to evaluate (default: %(default)s)")
    parser.add_argument("--model", help="TorchScript model (default: affinity-rescore's own default model)")
    parser.add_argument("--combination", default="boltzmann", help="passed to affinity-rescore (default: %(default)s)")
    parser.add_argument("--rescore", default=DEFAULT_RESCORE, help="the affinity-rescore program (default: %(default)s)")
    parser.add_argument("--extra-args", default="",
                        help="more affinity-rescore arguments, one string, e.g. --extra-args='--threads 2'")
    parser.add_argument("--out-dir", default="heldout_results", help="output folder (default: %(default)s)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="markdown file to append to (default: %(default)s)")
    parser.add_argument("--no-results", action="store_true", help="do not append to --results")
    parser.add_argument("--label", default="", help="a name for this run in the RESULTS.md heading")
    parser.add_argument("--common-ligands", action="store_true",
                        help="evaluate every predictor on the same ligands: those with a model value and a "
                             "Vina score (default: each predictor on the ligands that have its value)")
    parser.add_argument("--min-size", type=int, default=3, help="smallest series evaluated (default: %(default)s)")
    parser.add_argument("--bootstrap", type=int, default=10000, help="bootstrap resamples (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    args = parser.parse_args()

    metrics, metrics_path = load_metrics()
    if not os.access(args.rescore, os.X_OK):
        fail("no affinity-rescore program at %s (build it, or give --rescore)" % args.rescore)
    if args.model and not os.path.isfile(args.model):
        fail("no model file %s" % args.model)
    rows, _ = read_manifest(args.manifest, args.split)
    groups = OrderedDict()
    for row in rows:
        groups.setdefault((row["series"], row["poses"]), row["receptor"])
        if groups[(row["series"], row["poses"])] != row["receptor"]:
            fail("series %s: ligands of one pose file %s name different receptors" % (row["series"], row["poses"]))
    for (series, poses), receptor in groups.items():
        for path in (poses, receptor):
            if not os.path.isfile(path):
                fail("series %s: no file %s" % (series, path))

    work = os.path.join(args.out_dir, "rescore")
    os.makedirs(work, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    runs = []
    names_seen = {}
    for i, ((series, poses), receptor) in enumerate(groups.items(), start=1):
        # One pose file per series in the manifest's layout; a series with several gets one run each.
        tag = series if names_seen.setdefault(series, 0) == 0 else "%s.%d" % (series, names_seen[series])
        names_seen[series] += 1
        run = run_rescore(args, tag, receptor, poses, work)
        run["series"] = series
        run["poses"] = poses
        runs.append(run)
        print("[%d/%d] %s: %d poses of %d ligands in %.1f s (%.1f poses/s)%s"
              % (i, len(groups), series, run["poses_scored"],
                 sum(1 for l in run["ligands"].values() if l["status"] == "scored"), run["wall_s"],
                 run["poses_scored"] / run["wall_s"] if run["wall_s"] > 0 else 0.0,
                 "" if run["exit_status"] == 0 else " (exit 3: some ligands skipped)"), flush=True)
    predictions = join(rows, runs)

    evaluated = predictions
    if args.common_ligands:
        evaluated = [p for p in predictions if p["model"] is not None and p["vina"] is not None]
    result = metrics.series_metrics(evaluated, predictors=list(PREDICTORS), min_size=args.min_size)
    summary = summarize(metrics, result, args)

    # Bookkeeping of what was not evaluated.
    wanted = {(p["series"], p["ligand"]) for p in predictions}
    extra = sum(1 for run in runs for name in run["ligands"] if (run["series"], name) not in wanted)
    missing = [p for p in predictions if p["model"] is None]
    no_target = [p for p in predictions if p["target"] is None]
    no_vina = [p for p in predictions if p["vina"] is None]
    pose_mismatch = [p for p in predictions if p["poses_scored"] is not None and p["num_poses"] is not None
                     and p["poses_scored"] != p["num_poses"]]
    flagged = [p for p in predictions if p["flags"]]
    flag_counts = {}
    for p in flagged:
        for flag in filter(None, (f.strip() for f in p["flags"].replace(",", ";").split(";"))):
            flag_counts[flag] = flag_counts.get(flag, 0) + 1
    total_poses = sum(r["poses_scored"] for r in runs)
    total_wall = sum(r["wall_s"] for r in runs)
    total_cpu = sum(r["cpu_s"] for r in runs)
    model_used = next((r["settings"].get("model") for r in runs if r["settings"].get("model")), args.model or "?")

    # Files.
    with open(os.path.join(args.out_dir, "predictions.csv"), "w", newline="") as f:
        columns = ["series", "ligand", "split", "target", "model", "vina", "minus_heavy_atoms", "heavy_atoms",
                   "num_poses", "poses_scored", "status", "reason", "flags"]
        writer = csv.writer(f)
        writer.writerow(columns[:4] + ["model_dG_kcal_mol", "vina_score"] + columns[6:])
        for p in predictions:
            writer.writerow([fmt(p[c], 6) if isinstance(p[c], float) else fmt(p[c]) for c in columns])
    with open(os.path.join(args.out_dir, "per_series.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["series", "predictor", "n"] + [m for m, _ in METRICS] + ["excluded"])
        for s in result.series:
            writer.writerow([s.series, "series_mean", s.n, "", "", "", fmt(s.series_mean_rmse, 6),
                             fmt(s.series_mean_rmse, 6), ""])
            for predictor, m in s.predictors.items():
                writer.writerow([s.series, predictor, m.n] + [fmt(getattr(m, k), 6) for k, _ in METRICS] + [""])
        for x in result.excluded:
            writer.writerow([x.series, x.predictor or "(series)", x.n, "", "", "", "", "", x.reason])
    with open(os.path.join(args.out_dir, "summary.json"), "w") as f:
        json.dump({"manifest": os.path.abspath(args.manifest), "split": args.split, "model": model_used,
                   "combination": args.combination, "summary": summary,
                   "excluded": [x.__dict__ for x in result.excluded],
                   "missing": [{"series": p["series"], "ligand": p["ligand"], "status": p["status"],
                                "reason": p["reason"]} for p in missing],
                   "timing": {"poses": total_poses, "wall_s": total_wall, "cpu_s": total_cpu}}, f, indent=1)

    # Markdown.
    lines = []
    title = "Held-out accuracy" + (": " + args.label if args.label else "")
    lines.append("## %s (%s)" % (title, started.strftime("%Y-%m-%d %H:%M UTC")))
    lines.append("")
    try:
        load = " Load average at the end: %.1f." % os.getloadavg()[0]
    except OSError:
        load = ""
    lines.append("Machine: %s.%s" % (machine(), load))
    lines.append("Versions: Python %s, PyTorch %s, OpenMM %s; commit %s."
                 % (platform.python_version(), package_version("torch"), package_version("openmm", "OpenMM"),
                    git_commit()))
    lines.append("Model: `%s` (sha256 %s), combination %s; manifest `%s` (sha256 %s), split `%s`."
                 % (model_used, file_digest(model_used), args.combination, os.path.relpath(args.manifest, ROOT)
                    if os.path.abspath(args.manifest).startswith(ROOT + os.sep) else args.manifest,
                    file_digest(args.manifest), args.split, ))
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(os.path.abspath(sys.argv[0]), os.getcwd())]
                       + sys.argv[1:])
    lines.append("")
    lines.append("Command: `python3 %s`; per series: `affinity-rescore %s--receptor <receptor> --poses <poses> "
                 "--combination %s --out <csv> --json <json> --top 0 --quiet%s`."
                 % (command, "--model %s " % args.model if args.model else "", args.combination,
                    " " + args.extra_args if args.extra_args else ""))
    lines.append("")
    lines.append("Ligands in the split: %d in %d series; %d without a model value (%s); %d without a target; "
                 "%d without a Vina score; %d flagged by the tool as outside the model's domain%s; %d whose scored pose count differs from "
                 "the manifest's num_poses; %d scored ligands of the pose files not in the split (ignored)."
                 % (len(predictions), len({p["series"] for p in predictions}), len(missing),
                    ", ".join("%d %s" % (sum(1 for p in missing if p["status"] == s), s)
                              for s in sorted({p["status"] for p in missing})) or "none",
                    len(no_target), len(no_vina), len(flagged),
                    " (%s; kept in the figures)" % ", ".join("%s %d" % kv for kv in sorted(flag_counts.items()))
                    if flagged else "", len(pose_mismatch), extra))
    if args.common_ligands:
        lines.append("Every predictor is evaluated on the same ligands (--common-ligands): %d with both a model "
                     "value and a Vina score." % len(evaluated))
    else:
        lines.append("Each predictor is evaluated on the ligands that have its value; the series-mean RMSE beside "
                     "it is over the same ligands.")
    lines.append("")
    lines.append("Means over series, percentile bootstrap 95%% intervals over series (%d resamples, seed %d):"
                 % (args.bootstrap, args.seed))
    lines.append("")
    table = []
    for predictor, label in PREDICTORS.items():
        entry = summary[predictor]
        table.append([label, entry["series"], entry["ligands"]] + [interval(entry[m]) for m, _ in METRICS])
    entry = summary["series_mean"]
    table.append(["series mean (baseline)", entry["series"], entry["ligands"], "–", "–", "–",
                  interval(entry["series_mean_rmse"]), interval(entry["series_mean_rmse"])])
    lines.append(md_table(["predictor", "series", "ligands", "r", "ρ", "τ", "cRMSE (kcal/mol)",
                           "series-mean RMSE (kcal/mol)"], table))
    lines.append("")
    lines.append("cRMSE: RMSE after removing each side's series mean; for −heavy atoms it is in atoms, not "
                 "kcal/mol (the count is not rescaled), so only its correlations compare.")
    lines.append("")
    lines.append("Per series:")
    lines.append("")
    table = []
    for s in result.series:
        for predictor, label in PREDICTORS.items():
            m = s.predictors.get(predictor)
            if m is not None:
                table.append([s.series, label, m.n] + [fmt(getattr(m, k), 2) for k, _ in METRICS])
        table.append([s.series, "series mean", s.n, "", "", "", fmt(s.series_mean_rmse, 2), fmt(s.series_mean_rmse, 2)])
    lines.append(md_table(["series", "predictor", "N", "r", "ρ", "τ", "cRMSE", "series-mean RMSE"], table,
                          ["---", "---"] + ["---:"] * 6))
    if result.excluded:
        lines.append("")
        lines.append("Excluded: " + "; ".join(
            "%s%s (N = %d: %s)" % (x.series, "" if x.predictor is None else " / " + PREDICTORS.get(x.predictor, x.predictor),
                                   x.n, x.reason) for x in result.excluded) + ".")
    if missing:
        lines.append("")
        shown = missing[:20]
        lines.append("Without a model value: " + "; ".join(
            "%s/%s (%s%s)" % (p["series"], p["ligand"], p["status"], ": " + p["reason"] if p["reason"] else "")
            for p in shown) + ("; and %d more (predictions.csv)" % (len(missing) - len(shown))
                               if len(missing) > len(shown) else "") + ".")
    lines.append("")
    lines.append("Timing of affinity-rescore (whole process: start, model load, reading, scoring, writing):")
    lines.append("")
    table = [[r["series"], sum(1 for l in r["ligands"].values() if l["status"] == "scored"), r["poses_scored"],
              "%.2f" % r["wall_s"], "%.2f" % r["cpu_s"],
              "%.1f" % (r["poses_scored"] / r["wall_s"] if r["wall_s"] > 0 else 0.0)] for r in runs]
    table.append(["all", sum(row[1] for row in table), total_poses, "%.2f" % total_wall, "%.2f" % total_cpu,
                  "%.1f" % (total_poses / total_wall if total_wall > 0 else 0.0)])
    lines.append(md_table(["series", "ligands scored", "poses", "wall (s)", "CPU (s)", "poses/s (wall)"], table))
    lines.append("")
    section = "\n".join(lines)

    print()
    print(section)
    print("wrote %s, %s, %s" % tuple(os.path.join(args.out_dir, n) for n in ("per_series.csv", "predictions.csv",
                                                                            "summary.json")))
    if not args.no_results:
        with open(args.results, "a") as f:
            f.write("\n" + section)
        print("appended to %s" % args.results)


if __name__ == "__main__":
    main()
