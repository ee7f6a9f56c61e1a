# SPDX-License-Identifier: MIT
"""SchNetAffinity: a SchNet over the all-atom protein–ligand complex that follows the second
model contract of openmm-affinity:

    forward(positions [N,3] or [B,N,3] in nm, atomic_numbers int64 [N], ligand_mask bool [N])
        -> energy, a scalar or [B]

Two strategies, as in multi-pose affinity models:
  - "complex": E = E_net(complex), the sum of per-atom energies over the whole complex;
  - "delta":   E = E_net(complex) - E_net(protein) - E_net(ligand), the parts selected by
               the ligand mask. Both parts are evaluated in one pass on a graph without the
               edges between them: the parts are then disconnected, so the sum of their
               per-atom energies is exactly E_net(protein) + E_net(ligand).

Parameters and buffers have the names and shapes of PyTorch Geometric's ``SchNet``, so
``load_state_dict`` takes the state dict of a PyG SchNet (or ``from_pyg`` takes the model).
PyG SchNets work in Å; this network does too internally: it takes positions in nm (OpenMM's
unit), multiplies them by 10, and keeps the cutoff and the Gaussian centres in Å, so that
PyG's ``distance_expansion.offset`` buffer and its weights mean the same here.
"""
from typing import List, Tuple

import torch
from torch import Tensor
from torch.nn import Embedding, Linear, ModuleList

from .neighbors import FusedNeighborSearch, NeighborSearch, edge_lengths
from .operators import load_operators
from .schnet_layers import (FusedFilterTables, GaussianSmearing, InteractionBlock, PlainFilterTables, ShiftedSoftplus,
                            TabulatedInteractionBlock, cosine_cutoff, cosine_cutoff_slope, masked_neighbors)

#: Å per nm: the network's internal length unit is PyG's.
ANGSTROM_PER_NM = 10.0
#: The strategies this model offers.
STRATEGIES = ("complex", "delta")
#: The energy units the model contract allows.
ENERGY_UNITS = ("kJ/mol", "kcal/mol", "kT")


class SchNetAffinity(torch.nn.Module):
    """A SchNet binding-energy model of the second contract.

    Args:
        hidden_channels: size of the atom embeddings (PyG default 128).
        num_filters: filters of the continuous-filter convolutions (128).
        num_interactions: interaction blocks (6).
        num_gaussians: Gaussians of the distance expansion (50).
        cutoff: neighbour cutoff in nm (1.0 nm = PyG's default 10 Å).
        max_num_neighbors: at most this many neighbours per atom, the nearest ones (32).
            (PyG's ``radius_graph`` keeps the first ones found instead; the two agree
            whenever no atom has more neighbours than this within the cutoff.)
        strategy: "complex" or "delta" (see the module docstring).
        energy_unit: the unit of the energies this model returns ("kJ/mol", "kcal/mol", "kT");
            a trained model keeps the unit of its training targets.
        filter_table_size: 0 (default) evaluates the filter network on every edge, exactly as
            PyG's SchNet does. A size T >= 2 evaluates it on T lengths per call and
            interpolates (see ``TabulatedInteractionBlock``) in the operator
            ``affinity::filter_convolution``, one fused kernel on CUDA: much faster and leaner
            on GPUs, equal to the exact model to about 1e-8 of the filters' scale at T = 1,024.
            Such a model also finds its neighbours with ``affinity::nearest_neighbors`` (the
            same lists, without the dense distance matrix and its sort).
            Such a model needs the operator library (``operators.load_operators``) wherever
            it is scripted or loaded; the plugin and its tools always have it.

    With the defaults it has 455,809 parameters (PyG's SchNet with the same hyperparameters
    has the same).

    ``parameters_frozen`` (False) says that the parameters will not change and need no
    gradients; the plugin sets it on the copy a Context evaluates. A tabulated model then makes
    its filter tables once and reuses them while the device and dtype stay the same, instead of
    on every call (they depend on the parameters only). It takes effect only while the filter
    networks' parameters do not require gradients, so a model being trained never reuses them.
    """

    energy_unit: str
    supports_batch: bool
    strategy: str
    parameters_frozen: bool
    _reused_filter_tables: List[Tensor]

    def __init__(self, hidden_channels: int = 128, num_filters: int = 128, num_interactions: int = 6,
                 num_gaussians: int = 50, cutoff: float = 1.0, max_num_neighbors: int = 32,
                 strategy: str = "complex", energy_unit: str = "kJ/mol", filter_table_size: int = 0):
        super().__init__()
        if strategy not in STRATEGIES:
            raise ValueError(f"SchNetAffinity: strategy is '{strategy}'; expected one of {', '.join(STRATEGIES)}")
        if energy_unit not in ENERGY_UNITS:
            raise ValueError(
                f"SchNetAffinity: energy_unit is '{energy_unit}'; expected one of {', '.join(ENERGY_UNITS)}")
        if not cutoff > 0.0:
            raise ValueError(f"SchNetAffinity: cutoff is {cutoff} nm; expected a positive length")
        if filter_table_size == 1 or filter_table_size < 0:
            raise ValueError(f"SchNetAffinity: filter_table_size is {filter_table_size}; expected 0 (exact filters) "
                             "or a table of at least 2 lengths")
        if filter_table_size > 0:
            load_operators()
        self.hidden_channels = hidden_channels
        self.num_filters = num_filters
        self.num_interactions = num_interactions
        self.num_gaussians = num_gaussians
        self.cutoff_nm = float(cutoff)
        self.cutoff = float(cutoff) * ANGSTROM_PER_NM
        self.max_num_neighbors = max_num_neighbors
        self.strategy = strategy
        self.energy_unit = energy_unit
        self.supports_batch = True
        self.angstrom_per_nm = ANGSTROM_PER_NM
        self.filter_table_size = filter_table_size
        self.parameters_frozen = False
        self._reused_filter_tables = []

        self.embedding = Embedding(100, hidden_channels, padding_idx=0)
        self.distance_expansion = GaussianSmearing(0.0, self.cutoff, num_gaussians)
        if filter_table_size > 0:
            blocks = [TabulatedInteractionBlock(hidden_channels, num_gaussians, num_filters, self.cutoff,
                                                filter_table_size) for _ in range(num_interactions)]
        else:
            blocks = [InteractionBlock(hidden_channels, num_gaussians, num_filters, self.cutoff)
                      for _ in range(num_interactions)]
        self.interactions = ModuleList(blocks)
        self.filter_table_spacing = blocks[0].spacing if filter_table_size > 0 else 0.0
        # Models that need the operator library anyway also search neighbours with it.
        search = FusedNeighborSearch if filter_table_size > 0 else NeighborSearch
        self.neighbor_search = search(self.cutoff, max_num_neighbors)
        self.lin1 = Linear(hidden_channels, hidden_channels // 2)
        self.act = ShiftedSoftplus()
        self.lin2 = Linear(hidden_channels // 2, 1)
        # What makes the tables of tabulated blocks: the operator where the library is needed
        # anyway; otherwise the plain formula, never called, so that scripting an exact model
        # does not need the library.
        tables = FusedFilterTables if filter_table_size > 0 else PlainFilterTables
        self.filter_table_maker = tables(self.filter_table_spacing, self.act.shift)
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise the parameters as PyG's SchNet does."""
        self.embedding.reset_parameters()
        for interaction in self.interactions:
            interaction.reset_parameters()
        torch.nn.init.xavier_uniform_(self.lin1.weight)
        self.lin1.bias.data.fill_(0)
        torch.nn.init.xavier_uniform_(self.lin2.weight)
        self.lin2.bias.data.fill_(0)

    def hyperparameters(self) -> dict:
        """The constructor arguments that rebuild this model's architecture."""
        return dict(hidden_channels=self.hidden_channels, num_filters=self.num_filters,
                    num_interactions=self.num_interactions, num_gaussians=self.num_gaussians,
                    cutoff=self.cutoff_nm, max_num_neighbors=self.max_num_neighbors, strategy=self.strategy,
                    energy_unit=self.energy_unit, filter_table_size=self.filter_table_size)

    @classmethod
    def from_pyg(cls, schnet: torch.nn.Module, strategy: str = "complex", energy_unit: str = "kJ/mol",
                 filter_table_size: int = 0):
        """Build a model with the hyperparameters and weights of a ``torch_geometric`` SchNet.

        The PyG model's ``readout`` must be "add" and it must have no ``dipole``, ``atomref``,
        ``mean``/``std`` or ``scale``: those change its output in ways this model does not have.
        """
        problems = []
        if getattr(schnet, "dipole", False):
            problems.append("dipole=True")
        for name in ("atomref", "mean", "std", "scale"):
            if getattr(schnet, name, None) is not None:
                problems.append(f"{name} set")
        readout = type(getattr(schnet, "readout", None)).__name__
        if readout not in ("SumAggregation", "NoneType"):
            problems.append(f"readout {readout}")
        if problems:
            raise ValueError("SchNetAffinity.from_pyg: the SchNet has " + ", ".join(problems) +
                             "; expected a plain SchNet with sum readout")
        graph = getattr(schnet, "interaction_graph", None)
        max_num_neighbors = int(getattr(graph, "max_num_neighbors", 32))
        model = cls(hidden_channels=schnet.hidden_channels, num_filters=schnet.num_filters,
                    num_interactions=schnet.num_interactions, num_gaussians=schnet.num_gaussians,
                    cutoff=schnet.cutoff / ANGSTROM_PER_NM, max_num_neighbors=max_num_neighbors, strategy=strategy,
                    energy_unit=energy_unit, filter_table_size=filter_table_size)
        model.load_state_dict(schnet.state_dict())
        return model

    def forward(self, positions: Tensor, atomic_numbers: Tensor, ligand_mask: Tensor) -> Tensor:
        single = positions.dim() == 2
        batch = positions.unsqueeze(0) if single else positions
        if batch.dim() != 3 or batch.shape[2] != 3:
            raise ValueError("SchNetAffinity: positions must be [N,3] or [B,N,3]")
        if atomic_numbers.shape[0] != batch.shape[1] or ligand_mask.shape[0] != batch.shape[1]:
            raise ValueError("SchNetAffinity: atomic_numbers and ligand_mask must have one entry per atom")
        angstrom = batch * self.angstrom_per_nm
        energy = self.network_energy(angstrom, atomic_numbers, ligand_mask, False)
        if self.strategy == "delta":
            energy = energy - self.network_energy(angstrom, atomic_numbers, ligand_mask, True)
        return energy[0] if single else energy

    def filter_table_basis(self, device: torch.device) -> Tensor:
        """What every tabulated block's table is made from, [2, filter_table_size, G + 1] in
        float64: at the lengths r * spacing on [0, cutoff], the distance expansion (G columns)
        and the cosine cutoff (the last column), and below them their derivatives with respect
        to r. The lengths are made in float64: a grid rounded to float32 would put the table's
        values off the points the interpolation assumes."""
        size = self.filter_table_size
        grid = torch.arange(size, dtype=torch.float64, device=device) * (self.cutoff / (size - 1))
        values = torch.cat([self.distance_expansion(grid), cosine_cutoff(grid, self.cutoff).unsqueeze(-1)], dim=-1)
        slopes = torch.cat([self.distance_expansion.slope(grid), cosine_cutoff_slope(grid, self.cutoff).unsqueeze(-1)],
                           dim=-1)
        return torch.stack([values, slopes])

    def network_energy(self, positions: Tensor, atomic_numbers: Tensor, ligand_mask: Tensor,
                       separate_parts: bool) -> Tensor:
        """The SchNet energy [B] of positions [B, N, 3] in Å, summed over atoms; with
        ``separate_parts``, of the protein and the ligand each alone (summed)."""
        index, valid = self.neighbor_search(positions, ligand_mask, separate_parts)
        length = edge_lengths(positions, index, valid)
        h = self.embedding(atomic_numbers)
        h = h.unsqueeze(0).expand(positions.shape[0], h.shape[0], h.shape[1])
        if self.filter_table_size > 0:
            # Tabulated blocks take their filter coefficients, made for all blocks at once from
            # the basis of the table's lengths, not the expansion of every edge. unbind, not
            # indexing: the backward pass of an index writes each block's gradient into a zero
            # tensor of all blocks' size; unbind's stacks them once.
            networks = [interaction.filter_network() for interaction in self.interactions]
            reuse = self.parameters_frozen
            for network in networks:  # tables made from weights being trained must not be kept
                for weight in network:
                    reuse = reuse and not weight.requires_grad
            kept = self._reused_filter_tables
            if reuse and len(kept) > 0 and kept[0].device == positions.device and kept[0].dtype == h.dtype:
                tables = kept
            else:
                tables = self.filter_table_maker(networks, self.filter_table_basis(positions.device), h.dtype).unbind(0)
                self._reused_filter_tables = [t.detach() for t in tables] if reuse else []
            # Tabulated blocks take the neighbours with their empty slots masked, and the lengths
            # in their dtype, made once here (see TabulatedInteractionBlock.forward).
            index, length = masked_neighbors(index, valid), length.to(h.dtype)
        else:
            tables = [self.distance_expansion(length)] * len(self.interactions)  # one expansion, for every block
        for block, interaction in enumerate(self.interactions):
            h = h + interaction(h, index, valid, length, tables[block])
        h = self.lin2(self.act(self.lin1(h)))
        return h.squeeze(-1).sum(-1)


def script_model(model: SchNetAffinity) -> torch.jit.ScriptModule:
    """Script a SchNetAffinity in evaluation mode; the result keeps its attributes."""
    if model.filter_table_size > 0:
        load_operators()
    return torch.jit.script(model.eval())
