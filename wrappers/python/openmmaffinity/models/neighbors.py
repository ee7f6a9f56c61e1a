# SPDX-License-Identifier: MIT
"""Neighbour lists within a cutoff, in plain PyTorch (no torch_cluster), for batches of poses.

The lists are dense: every atom gets exactly K slots (K = min(max_num_neighbors, N - 1)),
filled with its nearest neighbours in order of distance, and a mask marks the slots that
hold a real neighbour within the cutoff. A dense [B, N, K] layout keeps every pose of a
batch independent of the others (a batch gives the same sums as one pose at a time) and
turns message aggregation into a sum over the last axis instead of a scatter.
"""
from typing import Tuple

import torch
from torch import Tensor


def neighbor_lists(positions: Tensor, cutoff: float, max_num_neighbors: int,
                   part_mask: Tensor, separate_parts: bool) -> Tuple[Tensor, Tensor]:
    """Return (index, valid), both [B, N, K]: the nearest neighbours of each atom.

    Args:
        positions: [B, N, 3] coordinates (any length unit, the same as ``cutoff``).
        cutoff: neighbours are atoms strictly closer than this.
        max_num_neighbors: at most this many neighbours per atom (the nearest ones).
        part_mask: bool [N]; with ``separate_parts``, atoms only see atoms of their own part
            (protein with protein, ligand with ligand), as if each part were alone.
        separate_parts: whether to cut every edge between the parts.

    ``index`` holds atom indices within the pose; slots that hold no neighbour point at the
    atom itself and have ``valid`` False.
    """
    batch, count = positions.shape[0], positions.shape[1]
    slots = min(max_num_neighbors, count - 1)
    device = positions.device
    self_index = torch.arange(count, device=device).view(1, count, 1)
    if slots <= 0:
        empty = torch.zeros(batch, count, 0, dtype=torch.long, device=device)
        return empty, torch.zeros(batch, count, 0, dtype=torch.bool, device=device)
    # Which atoms are neighbours is not differentiated: the lengths are, in edge_lengths.
    # Squared distances from the coordinate differences, not from matrix products, keep the
    # choice independent of how many poses share a call; written as three elementwise terms
    # (not a sum over a [B,N,N,3] tensor), they fuse into one kernel that writes [B,N,N] once.
    # (torch.cdist's exact mode was the model's slowest kernel on GPUs.)
    detached = positions.detach()
    x, y, z = detached[..., 0], detached[..., 1], detached[..., 2]
    distance = ((x.unsqueeze(2) - x.unsqueeze(1)) ** 2 + (y.unsqueeze(2) - y.unsqueeze(1)) ** 2
                + (z.unsqueeze(2) - z.unsqueeze(1)) ** 2)
    excluded = torch.eye(count, dtype=torch.bool, device=device).unsqueeze(0)
    if separate_parts:
        cross = part_mask.view(1, count, 1) != part_mask.view(1, 1, count)
        excluded = excluded | cross
    distance = distance.masked_fill(excluded, float("inf"))
    nearest, index = torch.topk(distance, slots, dim=2, largest=False, sorted=True)
    valid = nearest < cutoff * cutoff
    index = torch.where(valid, index, self_index)
    return index, valid


class NeighborSearch(torch.nn.Module):
    """``neighbor_lists`` with its cutoff and slot count, as a module (no parameters)."""

    def __init__(self, cutoff: float, max_num_neighbors: int):
        super().__init__()
        self.cutoff = float(cutoff)
        self.max_num_neighbors = int(max_num_neighbors)

    def forward(self, positions: Tensor, part_mask: Tensor, separate_parts: bool) -> Tuple[Tensor, Tensor]:
        return neighbor_lists(positions, self.cutoff, self.max_num_neighbors, part_mask, separate_parts)


class FusedNeighborSearch(NeighborSearch):
    """The same lists from the operator ``affinity::nearest_neighbors`` (the operator library
    must be loaded): on CUDA one kernel that keeps each atom's candidates within the cutoff and
    picks the nearest, instead of a dense distance matrix and a top-K sort of every row. Its
    ties are broken by atom index; the lists are otherwise those of ``neighbor_lists``."""

    def forward(self, positions: Tensor, part_mask: Tensor, separate_parts: bool) -> Tuple[Tensor, Tensor]:
        return torch.ops.affinity.nearest_neighbors(positions.detach(), part_mask, self.cutoff,
                                                    self.max_num_neighbors, separate_parts)


def edge_lengths(positions: Tensor, index: Tensor, valid: Tensor) -> Tensor:
    """Return the differentiable lengths [B, N, K] of the edges atom -> index.

    Empty slots get length 0 but no gradient: their difference vector is replaced before the
    norm is taken, because the gradient of |v| at v = 0 is NaN and would leak through a mask.
    """
    neighbor = gather_atoms(positions, index)
    difference = neighbor - positions.unsqueeze(2)
    difference = torch.where(valid.unsqueeze(-1), difference, 1.0)
    length = torch.linalg.vector_norm(difference, dim=-1)
    return torch.where(valid, length, 0.0)


def gather_atoms(values: Tensor, index: Tensor) -> Tensor:
    """Gather per-atom rows: values [B, N, F], index [B, N, K] -> [B, N, K, F]."""
    batch, count, width = values.shape[0], values.shape[1], values.shape[2]
    slots = index.shape[2]
    offset = torch.arange(0, batch * count, count, device=index.device).view(batch, 1, 1)
    flat = (index + offset).reshape(-1)
    return values.reshape(batch * count, width).index_select(0, flat).view(batch, count, slots, width)
