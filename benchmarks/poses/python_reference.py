# SPDX-License-Identifier: MIT
"""Reference points for affinity-pose-benchmark, measured without the plugin: the same
TorchScript model driven from Python.

  (b) openmm.PythonForce running the model in PyTorch: a per-pose loop of setPositions +
      getState(energy), and MD steps with it as the only force;
  (c) a plain PyTorch loop over poses (forward only, and forward + backward of one pose).

A model that calls the plugin's operators (a SchNet exported with --filter-table-size) needs
their library: give it as $AFFINITY_OPS_LIBRARY (libOpenMMAffinityOps.so), which is loaded
into this Python before the model.

The poses come from `affinity-pose-benchmark --dump-poses FILE`, so both programs see the same
complex. Prints a table and appends it to the results file.

usage: python python_reference.py --model M.pt --poses FILE [--device cuda] [--loop-poses 128]
                                  [--md-steps 200] [--results benchmarks/RESULTS.md]
"""
import argparse
import datetime
import os
import platform
import subprocess
import time

import numpy as np
import openmm
import torch

from pose_file import read_poses


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device, work):
    synchronize(device)
    start = time.perf_counter()
    work()
    synchronize(device)
    return time.perf_counter() - start


def warm_up_steps(integrator, context):
    """MD steps in blocks of 100 until two blocks in a row take the same time to within 3% (at
    most 30 blocks), as affinity-pose-benchmark does: a new Context's first few hundred steps on
    a GPU run several times slower than later ones."""
    previous = None
    for _ in range(30):
        start = time.perf_counter()
        integrator.step(100)
        context.getState(energy=True)
        seconds = time.perf_counter() - start
        if previous is not None and abs(seconds - previous) < 0.03 * previous:
            return
        previous = seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--poses", required=True, help="a file written by affinity-pose-benchmark --dump-poses")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--loop-poses", type=int, default=128)
    parser.add_argument("--md-steps", type=int, default=200)
    parser.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "..", "RESULTS.md"))
    args = parser.parse_args()

    device = torch.device(args.device)
    if os.environ.get("AFFINITY_OPS_LIBRARY"):
        torch.ops.load_library(os.environ["AFFINITY_OPS_LIBRARY"])
    model = torch.jit.load(args.model, map_location=device)
    dtype = next(model.parameters()).dtype
    z_np, mask_np, poses = read_poses(args.poses)
    z = torch.tensor(z_np, device=device)
    mask = torch.tensor(mask_np, device=device)
    rows = []

    # (c) plain PyTorch loop, forward only.
    def forward_loop(count):
        for p in range(count):
            x = torch.tensor(poses[p], dtype=dtype, device=device)
            with torch.no_grad():
                model(x, z, mask).item()

    n = min(args.loop_poses, len(poses))
    forward_loop(5)
    seconds = timed(device, lambda: forward_loop(n))
    rows.append(("plain PyTorch loop, forward (per pose)", n / seconds, 1000 * seconds / n))

    # (c) one forward + backward of a single pose, eager.
    def forward_backward():
        x = torch.tensor(poses[0], dtype=dtype, device=device)
        energy = model(x, z, mask)
        torch.autograd.grad(energy, list(model.parameters()))

    for _ in range(3):
        forward_backward()
    seconds = timed(device, lambda: [forward_backward() for _ in range(10)]) / 10
    rows.append(("plain PyTorch, forward + backward of one pose", 1 / seconds, 1000 * seconds))

    # (b) openmm.PythonForce running the model.
    def computation(state):
        x = torch.tensor(state.getPositions(asNumpy=True).value_in_unit(openmm.unit.nanometer), dtype=dtype,
                         device=device).requires_grad_(True)
        energy = model(x, z, mask)
        (gradient,) = torch.autograd.grad(energy, [x])
        return energy.item(), -gradient.detach().cpu().numpy()

    system = openmm.System()
    for ligand in mask_np:
        system.addParticle(12.0 if ligand else 0.0)
    system.addForce(openmm.PythonForce(computation))
    platform_name = "CUDA" if device.type == "cuda" else "CPU"
    integrator = openmm.LangevinMiddleIntegrator(300.0, 1.0, 0.001)
    context = openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform_name))

    def context_loop(count):
        for p in range(count):
            context.setPositions(poses[p])
            context.getState(energy=True).getPotentialEnergy()

    context_loop(5)
    seconds = timed(device, lambda: context_loop(n))
    rows.append((f"PythonForce on {platform_name}: setPositions + getState per pose", n / seconds, 1000 * seconds / n))
    if args.md_steps > 0:
        context.setPositions(poses[0])
        warm_up_steps(integrator, context)
        seconds = timed(device, lambda: (integrator.step(args.md_steps), context.getState(energy=True)))
        rows.append((f"PythonForce on {platform_name}: MD step", args.md_steps / seconds, 1000 * seconds / args.md_steps))

    gpu = ""
    if device.type == "cuda":
        gpu = "; GPU " + torch.cuda.get_device_name(device)
    text = [f"\n## Python reference points: {poses.shape[1]} atoms on {args.device} "
            f"({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)\n",
            f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores{gpu}",
            f"- versions: OpenMM {openmm.__version__}, PyTorch {torch.__version__}, Python {platform.python_version()}",
            f"- command: `python {' '.join(os.sys.argv)}`\n",
            "| method | per second | ms each |", "| --- | --- | --- |"]
    text += [f"| {name} | {rate:.1f} | {ms:.3f} |" for name, rate, ms in rows]
    print("\n".join(text))
    with open(args.results, "a") as f:
        f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
