# SPDX-License-Identifier: MIT
"""Write the TorchScript models the C++ tests load.

The models are written by Python's torch.jit.script, a different tool from the C++ side that
loads them, so the tests also show that files from the usual export path work. Each model's
closed form is restated in the tests that use it.

Usage: python make_test_models.py OUTPUT_DIR
"""
import os
import sys
from typing import Optional, Tuple

import torch

# The restraint centre and spring constant of the harmonic models (nm, kJ/mol/nm^2).
CENTER = (1.0, 1.5, 2.0)
SPRING = 250.0


class HarmonicRestraint(torch.nn.Module):
    """E = k/2 sum over ligand atoms of |x_i - c|^2, for [N,3] or [B,N,3] positions."""

    supports_batch: bool

    def __init__(self, unit: str = "kJ/mol"):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))
        self.register_buffer("spring", torch.tensor(SPRING, dtype=torch.float64))
        self.energy_unit = unit
        self.supports_batch = True

    def forward(self, positions, atomic_numbers, ligand_mask):
        d2 = ((positions - self.center) ** 2).sum(-1)
        return 0.5 * self.spring * (d2 * ligand_mask.to(d2.dtype)).sum(-1)


class PositionsOnlyHarmonic(torch.nn.Module):
    """The OpenMM-Torch contract: E = k/2 sum over all atoms of |x_i - c|^2."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))
        self.spring = SPRING

    def forward(self, positions):
        return 0.5 * self.spring * ((positions - self.center) ** 2).sum()


class PairModel(torch.nn.Module):
    """A smooth, element-dependent pair energy over all atom pairs:
    E = sum_{i<j} s(Z_i) s(Z_j) (exp(-r^2/w^2) - 0.3 exp(-r^2/(2w)^2)) + 2 sum_{lig i, rec j} exp(-r/w)
    with s(Z) = sqrt(Z)/4 and w = 0.3 nm."""

    def __init__(self):
        super().__init__()
        self.width = 0.3

    def forward(self, positions, atomic_numbers, ligand_mask):
        delta = positions.unsqueeze(-2) - positions.unsqueeze(-3)
        r2 = (delta ** 2).sum(-1)
        n = positions.shape[-2]
        upper = torch.triu(torch.ones(n, n, dtype=torch.bool, device=positions.device), 1)
        s = torch.sqrt(atomic_numbers.to(positions.dtype)) / 4.0
        pair = s.unsqueeze(-1) * s.unsqueeze(-2)
        w2 = self.width * self.width
        e = pair * (torch.exp(-r2 / w2) - 0.3 * torch.exp(-r2 / (4.0 * w2)))
        energy = (e * upper.to(e.dtype)).sum((-1, -2))
        cross = ligand_mask.unsqueeze(-1) & ~ligand_mask.unsqueeze(-2)
        r = torch.sqrt(r2 + 1e-12)
        energy = energy + 2.0 * (torch.exp(-r / self.width) * cross.to(r.dtype)).sum((-1, -2))
        return energy


class NearPairs(torch.nn.Module):
    """PairModel's ligand-receptor term over the receptor atoms within 1 nm of the ligand only,
    chosen with nonzero(): a data-dependent shape, which a CUDA graph cannot capture (as in
    ContactAffinity, the default model's kind). One trainable scale, in float64."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))

    def forward(self, positions, atomic_numbers, ligand_mask):
        x = positions if positions.dim() == 3 else positions.unsqueeze(0)
        lig = x[:, ligand_mask]
        receptor = (~ligand_mask).nonzero().flatten()
        with torch.no_grad():
            r_all = ((lig.unsqueeze(2) - x[:, receptor].unsqueeze(1)) ** 2).sum(-1)
            near = receptor[(r_all < 1.0).any(0).any(0)]
        r = torch.sqrt(((lig.unsqueeze(2) - x[:, near].unsqueeze(1)) ** 2).sum(-1) + 1e-12)
        energy = self.scale * (torch.exp(-r / 0.3) * (1.0 - r).clamp(min=0.0) ** 2).sum((-1, -2))
        return energy if positions.dim() == 3 else energy[0]


class AffinityMLP(torch.nn.Module):
    """A small learned model of the second contract, for the gradient-export tests: for each
    atom, radial features of its distances to every other atom, mixed with an element
    embedding, go through a two-layer MLP; the energy is the sum over ligand atoms.
    About 8,700 parameters."""

    supports_batch: bool

    def __init__(self, dtype: torch.dtype):
        super().__init__()
        torch.manual_seed(7)
        self.embedding = torch.nn.Embedding(119, 16)
        self.mix = torch.nn.Linear(16, 16)
        self.layer1 = torch.nn.Linear(32, 64)
        self.layer2 = torch.nn.Linear(64, 64)
        self.out = torch.nn.Linear(64, 1)
        self.register_buffer("centers", torch.linspace(0.1, 1.2, 16))
        self.supports_batch = True
        self.energy_unit = "kJ/mol"
        self.to(dtype)

    def forward(self, positions, atomic_numbers, ligand_mask):
        batched = positions.dim() == 3
        x = positions if batched else positions.unsqueeze(0)
        r = torch.sqrt(((x.unsqueeze(-2) - x.unsqueeze(-3)) ** 2).sum(-1) + 1e-9)  # [B,N,N]
        rbf = torch.exp(-((r.unsqueeze(-1) - self.centers) ** 2) / 0.02)  # [B,N,N,16]
        n = x.shape[1]
        not_self = (1.0 - torch.eye(n, dtype=x.dtype, device=x.device)).unsqueeze(-1)
        emb = self.embedding(atomic_numbers)  # [N,16]
        neighbour = self.mix(emb)  # [N,16]
        features = (rbf * not_self * neighbour.unsqueeze(0)).sum(-2)  # [B,N,16]
        h = torch.cat([features, emb.unsqueeze(0).expand(x.shape[0], n, 16)], -1)
        h = torch.tanh(self.layer1(h))
        h = torch.tanh(self.layer2(h))
        atomic = self.out(h).squeeze(-1)  # [B,N]
        energy = (atomic * ligand_mask.to(atomic.dtype)).sum(-1)
        return energy if batched else energy[0]


class TwoArguments(torch.nn.Module):
    def forward(self, positions, atomic_numbers):
        return positions.sum()


class IntegerArgument(torch.nn.Module):
    def forward(self, positions, atomic_numbers: int, ligand_mask):
        return positions.sum() * atomic_numbers


class NaNModel(torch.nn.Module):
    def forward(self, positions, atomic_numbers, ligand_mask):
        return positions.sum() * float("nan")


class NaNBeyond(torch.nn.Module):
    """A trainable linear energy that turns NaN for any pose with a coordinate beyond 5 nm:
    a model that fails part-way through an ensemble."""

    supports_batch: bool

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
        self.supports_batch = True

    def forward(self, positions, atomic_numbers, ligand_mask):
        e = (positions * self.weight).sum((-1, -2))
        return torch.where(positions.amax((-1, -2)) > 5.0, e * float("nan"), e)


class IntegerEnergy(torch.nn.Module):
    def forward(self, positions, atomic_numbers, ligand_mask):
        return atomic_numbers.sum()


class PerAtomEnergies(torch.nn.Module):
    def forward(self, positions, atomic_numbers, ligand_mask):
        return (positions ** 2).sum(-1)


# The models of OpenMM-Torch's other kinds (TorchForce runs them all): forces output, global
# parameters, the periodic box, optional arguments. All on [N,3] positions.

# The offset that ForcesOutput adds to -dE/dx, so that a test can tell returned forces from autograd's.
FORCE_OFFSET = (0.5, -0.25, 1.0)


class ForcesOutput(torch.nn.Module):
    """Returns (E, F) with E = k/2 sum |x_i - c|^2 and F = -k (x_i - c) + FORCE_OFFSET: not -dE/dx,
    so forces taken from autograd would differ. The energy is computed without a graph."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))
        self.register_buffer("offset", torch.tensor(FORCE_OFFSET, dtype=torch.float64))
        self.spring = SPRING

    def forward(self, positions) -> Tuple[torch.Tensor, torch.Tensor]:
        d = positions.detach() - self.center
        return 0.5 * self.spring * (d ** 2).sum(), -self.spring * d + self.offset


class GlobalParameters(torch.nn.Module):
    """forward(positions, k, s): E = k/2 sum |x_i - c|^2 + s^2 sum x_i0."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))

    def forward(self, positions, k, s):
        return 0.5 * k * ((positions - self.center) ** 2).sum() + s * s * positions[:, 0].sum()


class BoxModel(torch.nn.Module):
    """forward(positions, box): E = k/2 sum |x_i - c|^2 / a_x + b_y c_z, on positions as given."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))
        self.spring = SPRING

    def forward(self, positions, box):
        return 0.5 * self.spring * ((positions - self.center) ** 2).sum() / box[0, 0] + box[1, 1] * box[2, 2]


class OptionalBox(torch.nn.Module):
    """openmm-ml's signature: E = k/2 sum |x_i - c|^2, plus 10 a_x when the box is given."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))
        self.spring = SPRING

    def forward(self, positions, boxvectors: Optional[torch.Tensor] = None):
        energy = 0.5 * self.spring * ((positions - self.center) ** 2).sum()
        if boxvectors is not None:
            energy = energy + 10.0 * boxvectors[0, 0]
        return energy


class EveryArgument(torch.nn.Module):
    """Every kind of extra argument, returning forces: forward(positions, box, k, scale=None) ->
    (E, F) with E = (scale or 1) k/2 sum |x_i - c|^2 / a_x and F = -dE/dx."""

    def __init__(self):
        super().__init__()
        self.register_buffer("center", torch.tensor(CENTER, dtype=torch.float64))

    def forward(self, positions, box, k, scale: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        factor = k / box[0, 0]
        if scale is not None:
            factor = factor * scale
        d = positions - self.center
        return 0.5 * factor * (d ** 2).sum(), -factor * d.detach()


class WrongTupleLength(torch.nn.Module):
    def forward(self, positions) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return positions.sum(), -positions, positions.sum()


class WrongForcesShape(torch.nn.Module):
    """(E, F) with E = sum x; F has a row too few once any coordinate is beyond 50 nm."""

    def forward(self, positions) -> Tuple[torch.Tensor, torch.Tensor]:
        forces = -torch.ones_like(positions)
        if bool(positions.max() > 50.0):
            forces = forces[:-1]
        return positions.sum(), forces


def save(module, directory, name):
    torch.jit.script(module).save(os.path.join(directory, name))


def main(directory):
    os.makedirs(directory, exist_ok=True)
    save(HarmonicRestraint(), directory, "harmonic.pt")
    save(HarmonicRestraint("kcal/mol"), directory, "harmonic_kcal.pt")
    save(HarmonicRestraint("kT"), directory, "harmonic_kT.pt")
    save(PositionsOnlyHarmonic(), directory, "harmonic_positions_only.pt")
    save(PairModel(), directory, "pair.pt")
    save(NearPairs(), directory, "near_pairs.pt")
    save(AffinityMLP(torch.float64), directory, "mlp_f64.pt")
    save(AffinityMLP(torch.float32), directory, "mlp_f32.pt")
    save(TwoArguments(), directory, "bad_arity.pt")
    save(IntegerArgument(), directory, "bad_argument_type.pt")
    save(NaNModel(), directory, "nan.pt")
    save(PerAtomEnergies(), directory, "per_atom.pt")
    save(NaNBeyond(), directory, "nan_beyond.pt")
    save(IntegerEnergy(), directory, "integer_energy.pt")
    torch_force_kinds = {"forces_output.pt": ForcesOutput, "global_parameters.pt": GlobalParameters,
                         "box.pt": BoxModel, "optional_box.pt": OptionalBox, "every_argument.pt": EveryArgument,
                         "wrong_tuple_length.pt": WrongTupleLength, "wrong_forces_shape.pt": WrongForcesShape}
    for name, kind in torch_force_kinds.items():
        save(kind(), directory, name)
    with open(os.path.join(directory, "corrupt.pt"), "wb") as f:
        f.write(b"PK\x03\x04 this is not a TorchScript archive" * 10)


if __name__ == "__main__":
    main(sys.argv[1])
