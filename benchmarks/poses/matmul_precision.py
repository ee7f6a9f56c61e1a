# SPDX-License-Identifier: MIT
"""Accuracy and speed of a float32 model's matrix products in reduced precision on a GPU.

PyTorch runs float32 matrix products either in full float32 on the FMA units ("highest") or on
the tensor cores with TF32 inputs ("high"). This program evaluates the same poses with the model
in float64 (the reference), in float32 and in float32 with TF32 products, and reports per mode:

  - the energies' largest error relative to the float64 energy, max_n |E_n - E64_n| / |E64_n|;
  - the forces' largest relative error, max_n ||F_n - F64_n|| / ||F64_n|| (norms over all atoms);
  - ms per pose of batched forward calls without autograd, and of forward + gradient with respect
    to the positions.

A model that calls the plugin's operators (a SchNet exported with --filter-table-size) needs
their library: give it as $AFFINITY_OPS_LIBRARY (libOpenMMAffinityOps.so).

The poses come from `affinity-pose-benchmark --dump-poses FILE`.

usage: python matmul_precision.py --model M.pt --poses FILE [--batch 64] [--repeats 20]
                                  [--results RESULTS.md]
"""
import argparse
import datetime
import os
import time

import torch

from pose_file import read_poses


def energies_and_forces(model, z, mask, positions, batch, dtype):
    energies, forces = [], []
    for first in range(0, len(positions), batch):
        x = positions[first : first + batch].to(dtype).requires_grad_(True)
        e = model(x, z, mask)
        (g,) = torch.autograd.grad(e.sum(), [x])
        energies.append(e.detach().double())
        forces.append(-g.double())
    return torch.cat(energies), torch.cat(forces)


def ms_per_pose(device, work, poses, repeats):
    for _ in range(3):
        work()
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        work()
    torch.cuda.synchronize(device)
    return 1000 * (time.perf_counter() - start) / (repeats * poses)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--poses", required=True, help="a file written by affinity-pose-benchmark --dump-poses")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--results", default=None, help="append the table to this file")
    args = parser.parse_args()

    device = torch.device("cuda")
    if os.environ.get("AFFINITY_OPS_LIBRARY"):
        torch.ops.load_library(os.environ["AFFINITY_OPS_LIBRARY"])
    z_np, mask_np, poses_np = read_poses(args.poses)
    z = torch.tensor(z_np, device=device)
    mask = torch.tensor(mask_np, device=device)
    positions = torch.tensor(poses_np, device=device)

    reference = torch.jit.load(args.model, map_location=device).double()
    torch.set_float32_matmul_precision("highest")
    e64, f64 = energies_and_forces(reference, z, mask, positions, args.batch, torch.float64)
    del reference
    model = torch.jit.load(args.model, map_location=device).float()
    x = positions[: args.batch].float()

    def forward():
        with torch.no_grad():
            model(x, z, mask)

    def gradient():
        y = x.clone().requires_grad_(True)
        torch.autograd.grad(model(y, z, mask).sum(), [y])

    rows = []
    for name, precision in (("float32", "highest"), ("float32, TF32 products", "high")):
        torch.set_float32_matmul_precision(precision)
        e, f = energies_and_forces(model, z, mask, positions, args.batch, torch.float32)
        energy_error = ((e - e64).abs() / e64.abs()).max().item()
        force_error = ((f - f64).flatten(1).norm(dim=1) / f64.flatten(1).norm(dim=1)).max().item()
        rows.append((name, energy_error, force_error, ms_per_pose(device, forward, len(x), args.repeats),
                     ms_per_pose(device, gradient, len(x), args.repeats)))
    torch.set_float32_matmul_precision("highest")

    text = [f"\n## Matrix-product precision: {positions.shape[1]} atoms, {len(positions)} poses "
            f"({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)\n",
            f"- GPU {torch.cuda.get_device_name(device)}; PyTorch {torch.__version__}",
            f"- command: `python {' '.join(os.sys.argv)}`",
            f"- energies {e64.min().item():.4g} to {e64.max().item():.4g} kJ/mol (float64)\n",
            f"| mode | energy, max rel. error | forces, max rel. error | forward, ms/pose (batch {args.batch}) "
            "| forward + position gradient, ms/pose |",
            "| --- | --- | --- | --- | --- |"]
    text += [f"| {name} | {ee:.2e} | {fe:.2e} | {fwd:.4f} | {grad:.4f} |" for name, ee, fe, fwd, grad in rows]
    print("\n".join(text))
    if args.results:
        with open(args.results, "a") as f:
            f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
