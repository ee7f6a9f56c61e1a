# SPDX-License-Identifier: MIT
"""ContactAffinity: a learned protein–ligand contact score over heavy atoms, in the second model
contract:

    forward(positions [N,3] or [B,N,3] in nm, atomic_numbers int64 [N], ligand_mask bool [N])
        -> ΔG in kcal/mol, a scalar or [B]

    ΔG = b0 + Σ_{i ∈ ligand} s(t_i)
            + Σ_{i ∈ ligand} Σ_{j ∈ receptor} [ Σ_k W_k(t_i, t_j) φ_k(r_ij) ] f_c(r_ij)
            + ρ Σ_{i,j} max(0, r_rep − r_ij)²

Each heavy atom has a type t: its element class (C, N, O, S, P, F, Cl, Br, I, other) and how
many heavy atoms are bonded to it (0 to 4 or more), read from the distances of the first pose
(bonded: closer than 0.195 nm; detached from autograd, as a topology is). The pair weights are
a low-rank product of learned type embeddings, W_k(a, b) = Σ_d L_ad R_bd C_dk, over Gaussians
φ_k of the distance and a cosine cutoff f_c; s(t) is a learned per-type term of the ligand alone
(its size and composition); ρ = softplus of a learned value keeps clashes repulsive. The model
is additive over ligand–receptor pairs, so it scales with ligand size times pocket size, and it
does not see hydrogens: it is meant for complexes built with the heavy-atoms convention, which
it declares (``atom_convention``), and its supported elements are those of proteins and drug-like
ligands (``supported_elements``).
"""
from typing import List, Tuple

import torch
from torch import Tensor

#: The element classes, by atomic number; every other element is class OTHER.
ELEMENT_CLASSES = {6: 0, 7: 1, 8: 2, 16: 3, 15: 4, 9: 5, 17: 6, 35: 7, 53: 8}
OTHER = 9
NUM_CLASSES = 10
#: Heavy-atom neighbour counts 0..4 (4 stands for four or more).
NUM_DEGREES = 5
NUM_TYPES = NUM_CLASSES * NUM_DEGREES
#: Two heavy atoms closer than this (nm) are taken as bonded.
BOND_LENGTH = 0.195
#: Elements that occur in proteins, their cofactors and ions, and drug-like ligands.
SUPPORTED_ELEMENTS = [5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 19, 20, 25, 26, 27, 28, 29, 30, 34, 35, 53]


class ContactAffinity(torch.nn.Module):
    """A learned heavy-atom contact score (see the module docstring).

    Args:
        embedding_size: the size d of the type embeddings L and R (default 16).
        num_gaussians: the Gaussians φ_k of the distance (default 16), centred from 0.25 nm to the cutoff.
        cutoff: the pair cutoff in nm (default 0.8).
        repulsion_distance: r_rep in nm (default 0.25: shorter than a hydrogen bond's 0.27–0.3).
        offset: the initial b0 in kcal/mol (default 0); the mean training ΔG spares the first
            optimizer steps from learning it.
        size_term: the initial s(t) of every type in kcal/mol per ligand heavy atom (default 0).
            A negative value starts the model at "bigger binds tighter" (ΔG = b0 + s × heavy
            atoms), the heavy-atom count that predicts a congeneric series surprisingly well,
            so that training refines that prior rather than having to find it.
    """

    energy_unit: str
    supports_batch: bool
    atom_convention: str
    supported_elements: List[int]
    element_class: List[int]

    def __init__(self, embedding_size: int = 16, num_gaussians: int = 16, cutoff: float = 0.8,
                 repulsion_distance: float = 0.25, offset: float = 0.0, size_term: float = 0.0):
        super().__init__()
        # A list, not a buffer: moving a model to a floating-point dtype must not touch it.
        self.element_class = [ELEMENT_CLASSES.get(z, OTHER) for z in range(119)]
        self.register_buffer("centres", torch.linspace(0.25, cutoff, num_gaussians))
        self.width = float((cutoff - 0.25) / (num_gaussians - 1))
        self.cutoff = float(cutoff)
        self.repulsion_distance = float(repulsion_distance)
        self.bond_length = BOND_LENGTH
        self.num_degrees = NUM_DEGREES
        self.ligand_types = torch.nn.Embedding(NUM_TYPES, embedding_size)
        self.receptor_types = torch.nn.Embedding(NUM_TYPES, embedding_size)
        self.mixing = torch.nn.Parameter(torch.zeros(embedding_size, num_gaussians))
        self.self_terms = torch.nn.Parameter(torch.full((NUM_TYPES,), float(size_term)))
        self.offset = torch.nn.Parameter(torch.full((), float(offset)))
        # Pair weights and repulsion start at (nearly) zero, so that the untrained model is its
        # size prior b0 + Σ s(t_i) alone and training adds contacts to it.
        self.repulsion = torch.nn.Parameter(torch.full((), -5.0))
        torch.nn.init.normal_(self.ligand_types.weight, std=0.5)
        torch.nn.init.normal_(self.receptor_types.weight, std=0.5)
        self.energy_unit = "kcal/mol"
        self.supports_batch = True
        self.atom_convention = "heavy-atoms"
        self.supported_elements = SUPPORTED_ELEMENTS

    def atom_types(self, atoms: Tensor, others: Tensor, atomic_numbers: Tensor) -> Tensor:
        """The type of each atom [M,3] from its element and how many of the atoms others [N,3]
        (which include it) are bonded to it, in one pose."""
        d2 = ((atoms.detach().unsqueeze(1) - others.detach().unsqueeze(0)) ** 2).sum(-1)
        bonded = (d2 < self.bond_length * self.bond_length).sum(1) - 1
        degree = bonded.clamp(0, self.num_degrees - 1)
        table = torch.tensor(self.element_class, dtype=torch.long, device=atomic_numbers.device)
        return table[atomic_numbers] * self.num_degrees + degree

    def contacts(self, x: Tensor, atomic_numbers: Tensor, ligand_mask: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """The ligand atoms' types [L], the near receptor atoms' types [P] and their distances
        r [B,L,P] in the poses x [B,N,3]."""
        ligand = ligand_mask.nonzero().flatten()
        receptor = (~ligand_mask).nonzero().flatten()
        lig = x[:, ligand]  # [B,L,3]
        # Only receptor atoms within the cutoff of some ligand atom in some pose contribute, so
        # work on those alone (a pocket is much larger than the shell that touches the ligand).
        with torch.no_grad():
            far = ((lig.unsqueeze(2) - x[:, receptor].unsqueeze(1)) ** 2).sum(-1)
            near = receptor[(far < self.cutoff * self.cutoff).any(0).any(0)]
        rec = x[:, near]  # [B,P,3]
        # Types from the first pose: ligand atoms among the ligand's, receptor atoms among the receptor's.
        ligand_types = self.atom_types(x[0, ligand], x[0, ligand], atomic_numbers[ligand])
        receptor_types = self.atom_types(x[0, near], x[0, receptor], atomic_numbers[near])
        r = torch.sqrt(((lig.unsqueeze(2) - rec.unsqueeze(1)) ** 2).sum(-1) + 1e-12)  # [B,L,P]
        return ligand_types, receptor_types, r

    def radial(self, r: Tensor) -> Tuple[Tensor, Tensor]:
        """The Gaussians φ_k(r) [..., K] and the cutoff switch f_c(r) [...] of distances r."""
        gauss = torch.exp(-0.5 * ((r.unsqueeze(-1) - self.centres) / self.width) ** 2)
        switch = 0.5 * (torch.cos(r * (torch.pi / self.cutoff)) + 1.0) * (r < self.cutoff).to(r.dtype)
        return gauss, switch

    def pair_energy(self, ligand_types: Tensor, receptor_types: Tensor, r: Tensor) -> Tensor:
        """The pair term of each pose [B]: Σ_i Σ_j [Σ_k W_k(t_i, t_j) φ_k(r_ij)] f_c(r_ij)."""
        weights = torch.einsum("ld,pd,dk->lpk", self.ligand_types(ligand_types), self.receptor_types(receptor_types),
                               self.mixing)  # [L,P,K]
        gauss, switch = self.radial(r)  # [B,L,P,K], [B,L,P]
        return ((gauss * weights.unsqueeze(0)).sum(-1) * switch).sum((1, 2))

    def forward(self, positions: Tensor, atomic_numbers: Tensor, ligand_mask: Tensor) -> Tensor:
        batched = positions.dim() == 3
        x = positions if batched else positions.unsqueeze(0)
        ligand_types, receptor_types, r = self.contacts(x, atomic_numbers, ligand_mask)
        pair = self.pair_energy(ligand_types, receptor_types, r)
        overlap = torch.relu(self.repulsion_distance - r)
        repulsion = torch.nn.functional.softplus(self.repulsion) * (overlap * overlap).sum((1, 2)) * 100.0
        energy = self.offset + self.self_terms[ligand_types].sum() + pair + repulsion
        return energy if batched else energy[0]


def average_contact_models(members: List[torch.nn.Module]) -> ContactAffinity:
    """One ContactAffinity whose ΔG is exactly the mean of the members' ΔG, pose by pose.

    The members (ContactAffinity modules or their TorchScript files loaded with torch.jit.load)
    must share every setting but their weights. The pair weights W(a, b) = L R C are low-rank, so
    the mean of K members is itself a low-rank product of rank d_1 + ... + d_K: the embeddings are
    concatenated and the mixing matrices stacked, each divided by K. The per-type, constant and
    repulsion terms are linear in ΔG, so their means (of softplus(ρ), for the repulsion) are
    exact too. An ensemble therefore costs one model's evaluation, not K.
    """
    if not members:
        raise ValueError("average_contact_models: no members given")
    first = members[0]
    settings = ("cutoff", "width", "repulsion_distance", "bond_length", "num_degrees")
    for i, member in enumerate(members[1:], start=2):
        for name in settings:
            if getattr(member, name) != getattr(first, name):
                raise ValueError(f"average_contact_models: member {i} has {name} {getattr(member, name)}; "
                                 f"member 1 has {getattr(first, name)}")
        if not torch.equal(member.centres, first.centres) or member.element_class != first.element_class:
            raise ValueError(f"average_contact_models: member {i} has other Gaussian centres or element classes")
    count = len(members)
    states = [member.state_dict() for member in members]
    dtype = states[0]["mixing"].dtype
    sizes = [state["mixing"].shape[0] for state in states]
    average = ContactAffinity(embedding_size=sum(sizes), num_gaussians=states[0]["mixing"].shape[1],
                              cutoff=first.cutoff, repulsion_distance=first.repulsion_distance).to(dtype)
    mean_softplus = sum(torch.nn.functional.softplus(state["repulsion"]) for state in states) / count
    with torch.no_grad():
        average.ligand_types.weight.copy_(torch.cat([state["ligand_types.weight"] for state in states], dim=1))
        average.receptor_types.weight.copy_(torch.cat([state["receptor_types.weight"] for state in states], dim=1))
        average.mixing.copy_(torch.cat([state["mixing"] for state in states], dim=0) / count)
        average.self_terms.copy_(sum(state["self_terms"] for state in states) / count)
        average.offset.copy_(sum(state["offset"] for state in states) / count)
        # The inverse of softplus, written to stay finite for small values: log(exp(m) - 1).
        average.repulsion.copy_(mean_softplus + torch.log(-torch.expm1(-mean_softplus)))
    return average


def script_contact_model(model: ContactAffinity) -> torch.jit.ScriptModule:
    """The model as TorchScript, as every part of openmm-affinity loads it."""
    return torch.jit.script(model)
