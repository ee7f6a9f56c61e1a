#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rescoring and data-parallel training with openmmaffinity.Scorer over MPI ranks (mpi4py).

    mpirun -n K python mpi_scorer.py --model model.pt --ligands ligands.npz \
        --scores scores.csv [--epochs E --ligands-per-step S --trained trained.pt]

Started without mpirun it runs as one process and gives the same results.

ligands.npz holds, for each ligand NAME (in the order of the array "names"): NAME/positions
[P,N,3] in nm, NAME/atomic_numbers [N], NAME/ligand_mask [N] and NAME/target (ΔG, kJ/mol).

Rescoring: the ligands are shared out in contiguous blocks in rank order (rank r takes
shares[r]); each rank scores its own with a Scorer on its own device; rank 0 gathers the rows
(comm.gather returns them in rank order, which is input order) and alone writes the CSV: the
same bytes as one process, because every ligand is scored the same way whichever rank scores it.

Training: each step takes the next --ligands-per-step ligands; each rank computes the
combined gradient of its share (Scorer.combined_gradient, the Boltzmann ΔG against the
target, loss (ΔG − y)² averaged over the step), the ranks sum one flat float64 gradient buffer
with comm.Allreduce, and every rank takes the same Adam step; rank 0 writes the model. The
parameters equal those of one process to rounding (the sum over ranks adds in another order).

--device cuda gives rank r the GPU of its index among the ranks on its host (a
split_type(COMM_TYPE_SHARED) communicator), so that K ranks on a host of K GPUs use one each.
"""
import argparse

import numpy as np
import torch

import openmmaffinity as oa

try:
    from mpi4py import MPI
except ImportError:  # one process without mpi4py
    MPI = None


class OneProcess:
    """The part of mpi4py's communicator this example uses, for a run without mpi4py."""

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 1

    def gather(self, value, root=0):
        return [value]

    def Allreduce(self, send, receive, op=None):
        pass  # in place, over one process: the buffer is its own sum


def share_of_rank(count, rank, size):
    """The items [first, last) of count that rank takes: contiguous, in rank order, sizes within one."""
    base, extra = divmod(count, size)
    first = rank * base + min(rank, extra)
    return first, first + base + (1 if rank < extra else 0)


def device_of_rank(device, comm):
    if device != "cuda" or comm.Get_size() == 1:
        return device
    host = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    return "cuda:%d" % host.Get_rank()


def read_ligands(path):
    data = np.load(path)
    ligands = []
    for name in [str(n) for n in data["names"]]:
        ligands.append({"name": name, "positions": data[name + "/positions"],
                        "atomic_numbers": data[name + "/atomic_numbers"],
                        "ligand_mask": data[name + "/ligand_mask"], "target": float(data[name + "/target"])})
    return ligands


def rescore(comm, module, ligands, device, path):
    rank, size = comm.Get_rank(), comm.Get_size()
    first, last = share_of_rank(len(ligands), rank, size)
    combination = oa.BoltzmannCombination()
    rows = []
    for ligand in ligands[first:last]:
        scorer = oa.Scorer(module, ligand["atomic_numbers"], ligand["ligand_mask"], device=device)
        energies = scorer.pose_energies(ligand["positions"])
        delta_g = combination.combine(energies, scorer.temperature).delta_g
        rows += ["%s,%d,%.6f,%.6f\n" % (ligand["name"], n + 1, e, delta_g) for n, e in enumerate(energies)]
    shares = comm.gather("".join(rows), root=0)
    if rank == 0:
        with open(path, "w") as out:
            out.write("ligand,pose,energy_kj_mol,combined_dg_kj_mol\n")
            out.writelines(shares)


def train(comm, module, ligands, device, epochs, per_step, learning_rate):
    rank, size = comm.Get_rank(), comm.Get_size()
    parameters = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    optimizer = torch.optim.Adam([p for _, p in parameters], lr=learning_rate)
    scorers = [oa.Scorer(module, ligand["atomic_numbers"], ligand["ligand_mask"], device=device) for ligand in ligands]
    combination = oa.BoltzmannCombination()
    for _ in range(epochs):
        for start in range(0, len(ligands), per_step):
            step = list(range(start, min(start + per_step, len(ligands))))
            first, last = share_of_rank(len(step), rank, size)
            flat = np.zeros(sum(p.numel() for _, p in parameters))
            for index in step[first:last]:
                ligand = ligands[index]
                result = scorers[index].combined_gradient(ligand["positions"], combination,
                                                          oa.AffinityLoss(ligand["target"]))
                flat += np.concatenate([result.gradients[name].ravel() for name, _ in parameters]) / len(step)
            comm.Allreduce(MPI.IN_PLACE if MPI else None, flat, op=MPI.SUM if MPI else None)
            offset = 0
            for _, p in parameters:
                p.grad = torch.from_numpy(flat[offset:offset + p.numel()].copy()).view_as(p).to(p.dtype)
                offset += p.numel()
            optimizer.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a TorchScript affinity model")
    parser.add_argument("--ligands", required=True, help="the ligands (.npz, see above)")
    parser.add_argument("--scores", required=True, help="the CSV of pose energies and combined ΔG that rank 0 writes")
    parser.add_argument("--device", default="cpu", help="cpu, cuda (one GPU per rank on a host) or cuda:i")
    parser.add_argument("--epochs", type=int, default=0, help="training epochs after rescoring (default 0)")
    parser.add_argument("--ligands-per-step", type=int, default=4, help="the global batch of a training step")
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--trained", help="where rank 0 writes the trained model")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD if MPI else OneProcess()
    device = device_of_rank(args.device, comm)
    module = torch.jit.load(args.model)
    ligands = read_ligands(args.ligands)
    rescore(comm, module, ligands, device, args.scores)
    if args.epochs > 0:
        train(comm, module, ligands, device, args.epochs, args.ligands_per_step, args.learning_rate)
        if comm.Get_rank() == 0 and args.trained:
            module.save(args.trained)


if __name__ == "__main__":
    main()
