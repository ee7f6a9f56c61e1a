# SPDX-License-Identifier: MIT
"""A SchNet correction on top of the contact model, for architecture_sweep.py (arch schnet-delta).

ΔG(pose) = contact model + g × [E(complex) − E(receptor shell) − E(ligand)], where E is a small
SchNetAffinity (strategy delta) over the ligand and the receptor atoms within `shell` nm of it in
some pose, and g a learned gate that starts at 0: the untrained sum is the contact model's prior,
and the network's many-body terms (the environment of each atom, not only its pairs) are added
only as far as they help. This is the "SchNet delta on top of the contact prior" of the default
model's options, measured by the same cross-validation as the contact settings.
"""
import importlib.util
import sys
from pathlib import Path

import torch

MODELS = Path(__file__).resolve().parents[3] / "python/openmmaffinity/models"


def models_package():
    """The product's models subpackage (plain PyTorch), loaded from the source tree by path, so
    that the sweep runs where the compiled openmmaffinity module is not built (a GPU machine)."""
    if "affinity_models" not in sys.modules:
        spec = importlib.util.spec_from_file_location("affinity_models", MODELS / "__init__.py",
                                                      submodule_search_locations=[str(MODELS)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["affinity_models"] = module
        spec.loader.exec_module(module)
    return sys.modules["affinity_models"]


def shell_inputs(ligand, shell_nm):
    """The ligand's poses cut to the ligand and the receptor atoms within shell_nm of any of its
    atoms in any pose: (positions [P, M, 3], atomic numbers [M], ligand mask [M]); cached."""
    key = ("shell", shell_nm)
    if key not in ligand:
        x, numbers, mask = ligand["inputs"]
        with torch.no_grad():
            lig, rec = x[:, mask], x[:, ~mask]
            nearest = torch.cdist(rec, lig).amin(dim=(0, 2))  # [R]
            keep = torch.cat([(~mask).nonzero().flatten()[nearest < shell_nm], mask.nonzero().flatten()])
        ligand[key] = (x[:, keep].contiguous(), numbers[keep], mask[keep])
    return ligand[key]


class SchNetDelta(torch.nn.Module):
    """The gated SchNet term of every pose of a list of ligands, in kcal/mol."""

    def __init__(self, hidden=32, interactions=3, gaussians=25, cutoff=0.6, neighbors=24, shell=0.6):
        super().__init__()
        self.network = models_package().SchNetAffinity(hidden_channels=hidden, num_filters=hidden, num_interactions=interactions,
                                      num_gaussians=gaussians, cutoff=cutoff, max_num_neighbors=neighbors,
                                      strategy="delta", energy_unit="kcal/mol")
        self.gate = torch.nn.Parameter(torch.zeros(()))
        self.shell = float(shell)

    def forward(self, ligands):
        """[poses of all ligands], pose-major within each ligand, ligands in the given order."""
        return self.gate * torch.cat([self.network(*shell_inputs(l, self.shell)) for l in ligands])
