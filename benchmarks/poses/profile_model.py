# SPDX-License-Identifier: MIT
"""Where a model's time goes on the GPU: the CUDA kernels of one batched forward, and of one
forward + backward, as torch.profiler sees them, summed by kernel name (top entries printed).
It guides optimisation; the figures that count are those of affinity-pose-benchmark.

usage: python profile_model.py --model M.pt --poses FILE [--batch 64] [--rows 15]
(FILE from `affinity-pose-benchmark --dump-poses`; $AFFINITY_OPS_LIBRARY as in
python_reference.py for models that call the plugin's operators.)
"""
import argparse
import os
import time

import torch
from torch.profiler import ProfilerActivity, profile

from pose_file import read_poses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--poses", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rows", type=int, default=15)
    args = parser.parse_args()
    if os.environ.get("AFFINITY_OPS_LIBRARY"):
        torch.ops.load_library(os.environ["AFFINITY_OPS_LIBRARY"])
    device = torch.device("cuda")
    model = torch.jit.load(args.model, map_location=device)
    dtype = next(model.parameters()).dtype
    z_np, mask_np, poses = read_poses(args.poses)
    z = torch.tensor(z_np, device=device)
    mask = torch.tensor(mask_np, device=device)
    batch = torch.tensor(poses[: args.batch], dtype=dtype, device=device)
    for label, backward in (("forward", False), ("forward + backward", True)):
        for _ in range(3):  # warm-up: TorchScript's profiling executor optimises after a few calls
            run(model, batch, z, mask, backward)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            run(model, batch, z, mask, backward)
            torch.cuda.synchronize()
        events = prof.key_averages()
        gpu_us = sum(e.self_device_time_total for e in events)
        kernels = sum(e.count for e in events if e.self_device_time_total > 0)
        start = time.perf_counter()
        for _ in range(20):
            run(model, batch, z, mask, backward)
        torch.cuda.synchronize()
        wall_ms = (time.perf_counter() - start) / 20 * 1e3
        print(f"## {label}, {batch.shape[0]} poses of {batch.shape[1]} atoms: {wall_ms:.3f} ms per call (wall), "
              f"{gpu_us / 1e3:.3f} ms of GPU kernels in {kernels} kernel launches")
        print(events.table(sort_by="self_device_time_total", row_limit=args.rows, max_name_column_width=60))
    # The floor of one call without host dispatch: the forward + backward with respect to the
    # positions, captured once in a CUDA graph and replayed.
    static = batch.clone().requires_grad_(True)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            torch.autograd.grad(model(static, z, mask).sum(), static)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        torch.autograd.grad(model(static, z, mask).sum(), static)
    graph.replay()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(50):
        graph.replay()
    torch.cuda.synchronize()
    print(f"## forward + backward (positions only) replayed from a CUDA graph: "
          f"{(time.perf_counter() - start) / 50 * 1e3:.3f} ms per call")
    # What one MD step asks of the model: new positions in, a replay, the energy read back.
    start = time.perf_counter()
    for step in range(50):
        static.detach().copy_(batch + 1e-4 * step)
        graph.replay()
        torch.cuda.synchronize()
    print(f"## the same, with new positions copied in and a synchronisation per call (an MD step's model work): "
          f"{(time.perf_counter() - start) / 50 * 1e3:.3f} ms per call")


def run(model, batch, z, mask, backward):
    positions = batch.clone().requires_grad_(backward)
    energy = model(positions, z, mask)
    if backward:
        torch.autograd.grad(energy.sum(), positions)


if __name__ == "__main__":
    main()
