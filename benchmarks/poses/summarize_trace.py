# SPDX-License-Identifier: MIT
"""Summarise a Chrome trace of MD steps written by `affinity-pose-benchmark --md-trace` (or of
combined-gradient calls, `--gradient-trace`: each call counts as a step).

Prints, per step: the host time in each CUDA runtime/driver call, the GPU time per stream
(kernels, copies, sets), how long the GPU sat idle, the kernels that took the most GPU time, and
the longest host calls of one step in time order, and the outermost LibTorch operators the host
ran (per step, and the middle step's longest in time order), so that it shows where a step's
wall time goes: host time outside any operator is the plugin's, OpenMM's or the caller's own.

    python summarize_trace.py trace.json --steps 20
"""
import argparse
import collections
import json

HOST_CATEGORIES = ("cuda_runtime", "cuda_driver")
DEVICE_CATEGORIES = ("kernel", "gpu_memcpy", "gpu_memset")


def union_length(intervals):
    """Total length covered by a list of (start, end) intervals."""
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def short_name(kernel):
    """A kernel's name without its namespaces' and templates' clutter, at most 60 characters."""
    name = kernel.replace("(anonymous namespace)::", "")
    depth, plain = 0, ""
    for c in name:  # drop template and function arguments, which name every type of a kernel
        depth += c in "<("
        if depth == 0:
            plain += c
        depth -= c in ">)"
    plain = plain.replace("void ", "").split("::")[-1] or kernel
    return plain[:60]


def outermost(ops):
    """The operators that no other operator of the same host thread encloses."""
    result, open_until = [], {}
    for e in sorted(ops, key=lambda e: (e["tid"], e["ts"], -e["dur"])):
        if e["ts"] >= open_until.get(e["tid"], float("-inf")):
            result.append(e)
            open_until[e["tid"]] = e["ts"] + e["dur"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace")
    parser.add_argument("--steps", type=int, default=20, help="MD steps in the trace")
    parser.add_argument("--longest", type=int, default=25, help="host calls listed for the middle step")
    parser.add_argument("--kernels", type=int, default=15, help="kernels listed by their GPU time")
    parser.add_argument("--operators", type=int, default=15, help="outermost host operators listed")
    args = parser.parse_args()
    with open(args.trace) as f:
        events = [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X" and "dur" in e]
    host = [e for e in events if e.get("cat") in HOST_CATEGORIES]
    device = [e for e in events if e.get("cat") in DEVICE_CATEGORIES]
    operators = outermost([e for e in events if e.get("cat") == "cpu_op"])
    if not events:
        raise SystemExit("no complete events in " + args.trace)
    first = min(e["ts"] for e in events)
    last = max(e["ts"] + e["dur"] for e in events)
    span = (last - first) / 1000.0
    print(f"trace span {span:.2f} ms, {span / args.steps:.3f} ms per step ({args.steps} steps)")

    print("\nhost: CUDA calls per step (calls, ms)")
    by_name = collections.defaultdict(lambda: [0, 0.0])
    for e in host:
        by_name[e["name"]][0] += 1
        by_name[e["name"]][1] += e["dur"] / 1000.0
    for name, (count, ms) in sorted(by_name.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"  {name:40s} {count / args.steps:8.1f} {ms / args.steps:9.3f}")

    print("\nGPU per stream, per step (activities, busy ms)")
    streams = collections.defaultdict(list)
    for e in device:
        context = e.get("args", {}).get("context", "?")
        streams[(context, e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    for (context, stream), intervals in sorted(streams.items(), key=lambda kv: -len(kv[1])):
        print(f"  context {context} stream {stream}: {len(intervals) / args.steps:8.1f} "
              f"{union_length(intervals) / 1000.0 / args.steps:9.3f}")
    busy = union_length([(e["ts"], e["ts"] + e["dur"]) for e in device]) / 1000.0
    print(f"  GPU busy {busy / args.steps:.3f} ms per step, idle {(span - busy) / args.steps:.3f}")

    print("\nkernels by GPU time per step (launches, µs, share of the GPU's busy time)")
    by_kernel = collections.defaultdict(lambda: [0, 0.0])
    for e in device:
        if e.get("cat") == "kernel":
            entry = by_kernel[short_name(e["name"])]
            entry[0] += 1
            entry[1] += e["dur"]
    for name, (count, us) in sorted(by_kernel.items(), key=lambda kv: -kv[1][1])[: args.kernels]:
        print(f"  {name:60s} {count / args.steps:7.1f} {us / args.steps:9.1f} {us / 10.0 / max(busy, 1e-9):6.1f}%")

    print("\nhost: outermost LibTorch operators per step (calls, ms)")
    by_operator = collections.defaultdict(lambda: [0, 0.0])
    for e in operators:
        by_operator[e["name"]][0] += 1
        by_operator[e["name"]][1] += e["dur"] / 1000.0
    for name, (count, ms) in sorted(by_operator.items(), key=lambda kv: -kv[1][1])[: args.operators]:
        print(f"  {name:40s} {count / args.steps:8.1f} {ms / args.steps:9.3f}")
    in_operators = union_length([(e["ts"], e["ts"] + e["dur"]) for e in operators]) / 1000.0
    print(f"  host inside operators {in_operators / args.steps:.3f} ms per step, "
          f"outside {(span - in_operators) / args.steps:.3f}")

    # The middle step's long host calls and operators, in order: where the host waits or works.
    mid_start = first + (last - first) * (args.steps // 2) / args.steps
    mid_end = mid_start + (last - first) / args.steps
    middle_ops = sorted((e for e in operators if mid_start <= e["ts"] < mid_end), key=lambda e: -e["dur"])
    print(f"\nlongest outermost operators of one step in the middle (ms after its start)")
    for e in sorted(middle_ops[: args.longest], key=lambda e: e["ts"]):
        print(f"  {(e['ts'] - mid_start) / 1000.0:8.3f}  {e['dur'] / 1000.0:8.3f}  {e['name']}")
    middle = sorted((e for e in host if mid_start <= e["ts"] < mid_end), key=lambda e: -e["dur"])[: args.longest]
    print(f"\nlongest host calls of one step in the middle (ms after its start)")
    for e in sorted(middle, key=lambda e: e["ts"]):
        print(f"  {(e['ts'] - mid_start) / 1000.0:8.3f}  {e['dur'] / 1000.0:8.3f}  {e['name']}")


if __name__ == "__main__":
    main()
