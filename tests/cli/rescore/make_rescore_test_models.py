# SPDX-License-Identifier: MIT
"""Write the models the affinity-rescore tests load, in the second model contract.

  elements_model.pt  a pair score that declares supported_elements = H C N O S (so a ligand
                     with another element is skipped before the model runs)
  raising_model.pt   the same score without the attribute, raising an error for bromine
                     (so the tool must report the model's own failure and skip the ligand)
  nan_model.pt       the same score, returning NaN for a complex with bromine (so the tool
                     must skip the ligand rather than write a NaN into its outputs)

Both return kcal/mol and accept batches. Usage: python make_rescore_test_models.py OUTDIR
"""
import os
import sys
from typing import List

import torch


class PairScore(torch.nn.Module):
    """-sum over ligand-receptor pairs of exp(-(r / 0.4 nm)^2), in kcal/mol."""

    supports_batch: bool

    def __init__(self):
        super().__init__()
        self.energy_unit = "kcal/mol"
        self.supports_batch = True

    def score(self, positions, ligand_mask):
        x = positions if positions.dim() == 3 else positions.unsqueeze(0)
        lig = x[:, ligand_mask]
        rec = x[:, ~ligand_mask]
        r2 = ((lig.unsqueeze(2) - rec.unsqueeze(1)) ** 2).sum(-1)
        energy = -torch.exp(-r2 / 0.16).sum((-1, -2))
        return energy if positions.dim() == 3 else energy[0]


class ElementsModel(PairScore):
    supported_elements: List[int]

    def __init__(self):
        super().__init__()
        self.supported_elements = [1, 6, 7, 8, 16]

    def forward(self, positions, atomic_numbers, ligand_mask):
        return self.score(positions, ligand_mask)


class RaisingModel(PairScore):
    def forward(self, positions, atomic_numbers, ligand_mask):
        if bool((atomic_numbers == 35).any()):
            raise ValueError("RaisingModel has no parameters for bromine (Z=35)")
        return self.score(positions, ligand_mask)


class NanModel(PairScore):
    def forward(self, positions, atomic_numbers, ligand_mask):
        energy = self.score(positions, ligand_mask)
        if bool((atomic_numbers == 35).any()):
            return energy * float("nan")
        return energy


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.jit.script(ElementsModel()).save(os.path.join(out, "elements_model.pt"))
    torch.jit.script(RaisingModel()).save(os.path.join(out, "raising_model.pt"))
    torch.jit.script(NanModel()).save(os.path.join(out, "nan_model.pt"))
