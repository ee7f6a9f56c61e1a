# SPDX-License-Identifier: MIT
"""Models and complexes the Python tests share, written here in PyTorch so that every test can
compare what the plugin computes with the same model run by PyTorch itself."""

import numpy as np
import torch

# Boltzmann's constant in kJ/(mol K): the molar gas constant R = N_A k (exact in the 2019 SI) / 1000.
BOLTZMANN = 8.31446261815324e-3

RECEPTOR_ELEMENTS = (6, 7, 8, 6, 16, 6, 7, 8, 6, 6, 7, 8)
LIGAND_ELEMENTS = (6, 6, 8, 7, 1)


class ContactAffinity(torch.nn.Module):
    """A small learned affinity model of the second contract: every ligand–receptor pair adds a
    radial-basis expansion of its distance, weighted by a linear map of the product of the two
    atoms' element embeddings. Works on [N,3] and [B,N,3] positions; 59 trainable parameters
    that matter (an embedding row per element present, the linear map)."""

    supports_batch: bool

    def __init__(self, seed: int = 3, dtype: torch.dtype = torch.float64):
        super().__init__()
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.embedding = torch.nn.Embedding(119, 4)
        self.radial = torch.nn.Linear(4, 6)
        torch.random.set_rng_state(generator_state)
        self.register_buffer("centers", torch.linspace(0.15, 0.8, 6))
        self.width = 0.12
        self.supports_batch = True
        self.energy_unit = "kJ/mol"
        self.to(dtype)

    def forward(self, positions, atomic_numbers, ligand_mask):
        x = positions if positions.dim() == 3 else positions.unsqueeze(0)
        r = torch.sqrt(((x.unsqueeze(-2) - x.unsqueeze(-3)) ** 2).sum(-1) + 1e-12)  # [B,N,N]
        basis = torch.exp(-(((r.unsqueeze(-1) - self.centers) / self.width) ** 2))  # [B,N,N,K]
        e = self.embedding(atomic_numbers)  # [N,4]
        pair_weights = self.radial(e.unsqueeze(1) * e.unsqueeze(0))  # [N,N,K]
        cross = (ligand_mask.unsqueeze(1) & ~ligand_mask.unsqueeze(0)).to(x.dtype)  # ligand i, receptor j
        energy = ((basis * pair_weights).sum(-1) * cross).sum((-1, -2))
        return energy if positions.dim() == 3 else energy[0]


def scripted_contact_model(seed=3, dtype=torch.float64):
    """ContactAffinity, scripted."""
    return torch.jit.script(ContactAffinity(seed, dtype))


def complex_topology(receptor=RECEPTOR_ELEMENTS, ligand=LIGAND_ELEMENTS):
    """Atomic numbers (int64 [N]) and the ligand mask (bool [N]) of a complex, receptor first."""
    numbers = np.array(receptor + ligand, dtype=np.int64)
    mask = np.array([False] * len(receptor) + [True] * len(ligand))
    return numbers, mask


def complex_poses(num_poses, num_receptor=len(RECEPTOR_ELEMENTS), num_ligand=len(LIGAND_ELEMENTS), seed=11):
    """Poses [P,N,3] in nm: a fixed receptor on a shell of radius ~0.55 nm and a ligand placed
    near its centre, shifted and jittered differently in each pose."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(num_receptor, 3))
    receptor = 0.55 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    ligand = rng.normal(scale=0.12, size=(num_ligand, 3))
    poses = []
    for _ in range(num_poses):
        shift = rng.normal(scale=0.08, size=3)
        jitter = rng.normal(scale=0.02, size=(num_ligand, 3))
        poses.append(np.concatenate([receptor, ligand + shift + jitter]))
    return np.array(poses) + 1.0


def torch_energies(module, poses, atomic_numbers, ligand_mask):
    """G_n of poses [P,N,3] by the module run in PyTorch (float64), with autograd."""
    return module(torch.as_tensor(poses, dtype=torch.float64), torch.as_tensor(atomic_numbers),
                  torch.as_tensor(ligand_mask))


def torch_combination(energies, name, temperature, sign=-1, scale=1000.0):
    """ΔG of per-pose energies, each combination written in PyTorch from its definition."""
    beta = 1.0 / (BOLTZMANN * temperature)
    if name == "mean":
        return energies.mean()
    if name == "max":
        return sign / (scale * beta) * torch.logsumexp(sign * scale * beta * energies, 0)
    if name == "boltzmann":
        weights = torch.softmax(-beta * energies, 0)
        return (weights * energies).sum()
    raise ValueError(name)
