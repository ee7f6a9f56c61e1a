# SPDX-License-Identifier: MIT
"""Write the bundled example model: a contact score in the second model contract.

For every ligand–receptor atom pair at distance r, a smooth well
    e(r) = eps_ij * ((s/r)^8 - 2 (s/r)^4) * switch(r)
with s = 0.38 nm, eps_ij = sqrt(eps_i eps_j) from a per-element table, and a switch that takes
the term smoothly to zero between 0.8 and 1.0 nm. Energies are returned in kcal/mol, and the
model accepts batches of poses. It is an illustration of the model contract and of the plugin,
not a trained affinity model.

Usage: python make_contact_model.py OUTPUT.pt
"""
import sys

import torch


class ContactModel(torch.nn.Module):
    supports_batch: bool

    def __init__(self):
        super().__init__()
        eps = torch.full((119,), 0.10, dtype=torch.float32)
        eps[1], eps[6], eps[7], eps[8], eps[9], eps[16], eps[17] = 0.02, 0.12, 0.16, 0.20, 0.08, 0.25, 0.22
        self.register_buffer("eps", eps)
        self.sigma = 0.38
        self.r_on = 0.8
        self.r_off = 1.0
        self.energy_unit = "kcal/mol"
        self.supports_batch = True

    def forward(self, positions, atomic_numbers, ligand_mask):
        batched = positions.dim() == 3
        x = positions if batched else positions.unsqueeze(0)
        lig = x[:, ligand_mask]  # [B,L,3]
        rec = x[:, ~ligand_mask]  # [B,R,3]
        r = torch.sqrt(((lig.unsqueeze(2) - rec.unsqueeze(1)) ** 2).sum(-1) + 1e-12)  # [B,L,R]
        e_l = self.eps[atomic_numbers[ligand_mask]]
        e_r = self.eps[atomic_numbers[~ligand_mask]]
        eps = torch.sqrt(e_l.unsqueeze(1) * e_r.unsqueeze(0)).to(x.dtype)
        q = (self.sigma / r) ** 4
        well = eps * (q * q - 2.0 * q)
        t = ((r - self.r_on) / (self.r_off - self.r_on)).clamp(0.0, 1.0)
        switch = 1.0 - t * t * t * (10.0 - 15.0 * t + 6.0 * t * t)
        energy = (well * switch).sum((-1, -2))
        return energy if batched else energy[0]


if __name__ == "__main__":
    torch.jit.script(ContactModel()).save(sys.argv[1])
