# SPDX-License-Identifier: MIT
"""The pose file that `affinity-pose-benchmark --dump-poses` writes: int32 pose count and atom
count, int32 atomic numbers, uint8 ligand mask, then float64 positions (nm), pose by pose."""
import numpy as np


def read_poses(path):
    """(atomic numbers int64 [N], ligand mask bool [N], positions float64 [poses, N, 3])."""
    with open(path, "rb") as f:
        count, atoms = np.frombuffer(f.read(8), dtype="<i4")
        z = np.frombuffer(f.read(4 * atoms), dtype="<i4").astype(np.int64)
        mask = np.frombuffer(f.read(atoms), dtype=np.uint8).astype(bool)
        positions = np.frombuffer(f.read(), dtype="<f8").reshape(count, atoms, 3)
    return z, mask, positions
