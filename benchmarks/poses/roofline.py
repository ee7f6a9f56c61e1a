# SPDX-License-Identifier: MIT
"""Roofline figures of a model's CUDA kernels: for each kernel of one batched call, the FP32
and FP64 operations per second and the DRAM and L2 bytes per second it achieves, against the
GPU's peaks, from Nsight Compute's hardware counters. It says which kernels are bound by
arithmetic, by memory, or by neither (too small to fill the GPU: launch- or latency-bound).

    python roofline.py metrics                     # the --metrics list for ncu
    ncu --clock-control none --profile-from-start off --csv --page raw --print-units base \\
        --metrics "$(python roofline.py metrics)" \\
        python roofline.py run --model M.pt --poses FILE --batch 64 [--backward] > kernels.csv
    python roofline.py report kernels.csv --title "..." [--top 12]

`run` makes one call of the model on --batch poses (FILE from `affinity-pose-benchmark
--dump-poses`) after warm-up calls, inside cudaProfilerStart/Stop so that ncu sees that call
alone, and prints the call's wall time (CUDA events, mean of 20, without ncu's replays it is
what a user waits) to stderr. --backward adds the gradient with respect to the parameters, the
work of a training step. $AFFINITY_OPS_LIBRARY, as in python_reference.py, loads the plugin's
operators for models that call them.

FLOPs are counted from executed instructions: FFMA and DFMA count two, FADD, FMUL, DADD and DMUL
one; tensor-core instructions are not counted (these models' float32 matrix products run
without TF32, on the FMA units). Peaks are ncu's own per-cycle ceilings times the measured
clocks of the same kernel.
"""
import argparse
import collections
import csv
import os
import sys

COUNTS = {
    "fp32": {"sm__sass_thread_inst_executed_op_ffma_pred_on.sum": 2, "sm__sass_thread_inst_executed_op_fadd_pred_on.sum": 1,
             "sm__sass_thread_inst_executed_op_fmul_pred_on.sum": 1},
    "fp64": {"sm__sass_thread_inst_executed_op_dfma_pred_on.sum": 2, "sm__sass_thread_inst_executed_op_dadd_pred_on.sum": 1,
             "sm__sass_thread_inst_executed_op_dmul_pred_on.sum": 1},
}
TIME = "gpu__time_duration.sum"
DRAM, L2 = "dram__bytes.sum", "lts__t_bytes.sum"
PEAKS = {
    "fp32": ("sm__sass_thread_inst_executed_op_ffma_pred_on.sum.peak_sustained", "sm__cycles_elapsed.avg.per_second", 2),
    "fp64": ("sm__sass_thread_inst_executed_op_dfma_pred_on.sum.peak_sustained", "sm__cycles_elapsed.avg.per_second", 2),
    "dram": ("dram__bytes.sum.peak_sustained", "dram__cycles_elapsed.avg.per_second", 1),
    "l2": ("lts__t_bytes.sum.peak_sustained", "lts__cycles_elapsed.avg.per_second", 1),
}


def metric_names():
    names = [TIME, DRAM, L2] + [m for table in COUNTS.values() for m in table]
    for per_cycle, clock, _ in PEAKS.values():
        names += [per_cycle, clock]
    return sorted(set(names))


def run(args):
    import torch

    from pose_file import read_poses

    if os.environ.get("AFFINITY_OPS_LIBRARY"):
        torch.ops.load_library(os.environ["AFFINITY_OPS_LIBRARY"])
    device = torch.device("cuda")
    model = torch.jit.load(args.model, map_location=device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    dtype = parameters[0].dtype
    z_np, mask_np, poses = read_poses(args.poses)
    z, mask = torch.tensor(z_np, device=device), torch.tensor(mask_np, device=device)
    batch = torch.tensor(poses[: args.batch], dtype=dtype, device=device)

    def call():
        if args.backward:
            return torch.autograd.grad(model(batch, z, mask).sum(), parameters)
        with torch.no_grad():
            return model(batch, z, mask)

    for _ in range(5):  # TorchScript's profiling executor settles after a few calls
        call()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        call()
    end.record()
    torch.cuda.synchronize()
    print(f"roofline: {'forward + backward' if args.backward else 'forward'}, {batch.shape[0]} poses of "
          f"{batch.shape[1]} atoms: {start.elapsed_time(end) / 20:.3f} ms per call (wall, CUDA events)", file=sys.stderr)
    torch.cuda.profiler.start()
    call()
    torch.cuda.synchronize()
    torch.cuda.profiler.stop()


def number(text):
    text = text.replace(",", "").strip()
    return float(text) if text not in ("", "n/a") else 0.0


def read_kernels(path):
    """One dict per profiled kernel launch: name and metric values (base units)."""
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own messages are not quoted
    rows = list(csv.reader(lines))
    header, body = rows[0], rows[2:]  # the second row holds the units
    name = header.index("Kernel Name")
    kernels = []
    for row in body:
        values = {h: number(v) for h, v in zip(header, row) if h in metric_names()}
        values["name"] = row[name]
        kernels.append(values)
    return kernels


def short(name, width=60):
    name = name.split("(")[0] if not name.startswith("void ") else name[5:].split("(")[0]
    return name if len(name) <= width else name[: width - 1] + "…"


def report(args):
    kernels = read_kernels(args.kernels)
    if not kernels:
        sys.exit(f"report: no kernels in {args.kernels} (did ncu read the counters?)")
    peaks = {}
    for key, (per_cycle, clock, factor) in PEAKS.items():
        values = [k[per_cycle] * k[clock] * factor for k in kernels if k.get(per_cycle) and k.get(clock)]
        peaks[key] = sorted(values)[len(values) // 2] if values else 0.0
    groups = collections.OrderedDict()
    for k in kernels:
        g = groups.setdefault(short(k["name"]), collections.Counter())
        g["calls"] += 1
        g["time"] += k[TIME] * 1e-9
        g["dram"] += k[DRAM]
        g["l2"] += k[L2]
        for kind, table in COUNTS.items():
            g[kind] += sum(k[m] * w for m, w in table.items())
    total = sum(g["time"] for g in groups.values())
    print(f"### {args.title}\n")
    print(f"{len(kernels)} kernel launches, {total * 1e3:.3f} ms of kernel time. Peaks (ncu's ceilings at the "
          f"measured clocks, median over kernels): FP32 {peaks['fp32'] / 1e12:.1f} TFLOP/s, FP64 "
          f"{peaks['fp64'] / 1e12:.1f} TFLOP/s, DRAM {peaks['dram'] / 1e12:.2f} TB/s, L2 {peaks['l2'] / 1e12:.2f} TB/s.\n")
    print("| kernel | launches | time µs (share) | FP32 TFLOP/s (% peak) | FP64 TFLOP/s | DRAM GB/s (% peak) "
          "| L2 GB/s (% peak) | FLOP per DRAM byte |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ranked = sorted(groups.items(), key=lambda item: -item[1]["time"])
    for name, g in ranked[: args.top]:
        t = g["time"]
        fp32, fp64, dram, l2 = g["fp32"] / t, g["fp64"] / t, g["dram"] / t, g["l2"] / t

        def pct(value, key):
            return f"{100 * value / peaks[key]:.1f}" if peaks[key] else "?"

        intensity = (g["fp32"] + g["fp64"]) / g["dram"] if g["dram"] else float("inf")
        print(f"| `{name}` | {g['calls']} | {t * 1e6:.1f} ({100 * t / total:.0f}%) | {fp32 / 1e12:.2f} ({pct(fp32, 'fp32')}) "
              f"| {fp64 / 1e12:.3f} | {dram / 1e9:.0f} ({pct(dram, 'dram')}) | {l2 / 1e9:.0f} ({pct(l2, 'l2')}) "
              f"| {intensity:.1f} |")
    rest = ranked[args.top:]
    if rest:
        t = sum(g["time"] for _, g in rest)
        print(f"| {len(rest)} other kernels | {sum(g['calls'] for _, g in rest)} | {t * 1e6:.1f} ({100 * t / total:.0f}%) "
              f"| | | | | |")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("metrics", help="print the metrics that ncu must read")
    r = commands.add_parser("run", help="one profiled call of the model")
    r.add_argument("--model", required=True)
    r.add_argument("--poses", required=True)
    r.add_argument("--batch", type=int, default=64)
    r.add_argument("--backward", action="store_true")
    p = commands.add_parser("report", help="a markdown table from ncu's CSV")
    p.add_argument("kernels")
    p.add_argument("--title", default="Roofline")
    p.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if args.command == "metrics":
        print(",".join(metric_names()))
    elif args.command == "run":
        run(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
