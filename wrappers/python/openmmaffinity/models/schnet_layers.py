# SPDX-License-Identifier: MIT
"""The layers of SchNet, with the module names and parameter shapes of PyTorch Geometric's
``torch_geometric.nn.models.schnet`` so that state dicts move between the two.

They work on dense neighbour lists ([B, N, K], see ``neighbors.py``) instead of PyG's edge
lists, which makes them scriptable with ``torch.jit.script`` and free of compiled extras.
"""
import math
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Linear, Sequential

from .neighbors import gather_atoms


class ShiftedSoftplus(torch.nn.Module):
    """softplus(x) - ln 2, which is 0 at 0."""

    def __init__(self):
        super().__init__()
        # ln 2 rounded to float32, as PyG computes it: weights trained there expect that shift.
        self.shift = torch.log(torch.tensor(2.0)).item()

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x) - self.shift


class GaussianSmearing(torch.nn.Module):
    """Expand distances in ``num_gaussians`` Gaussians centred evenly on [start, stop]."""

    def __init__(self, start: float = 0.0, stop: float = 5.0, num_gaussians: int = 50):
        super().__init__()
        offset = torch.linspace(start, stop, num_gaussians)
        self.coeff = -0.5 / (offset[1] - offset[0]).item() ** 2
        self.register_buffer("offset", offset)

    def forward(self, dist: Tensor) -> Tensor:
        return torch.exp(self.coeff * (dist.unsqueeze(-1) - self.offset) ** 2)

    def slope(self, dist: Tensor) -> Tensor:
        """The derivative of ``forward`` with respect to the distance."""
        difference = dist.unsqueeze(-1) - self.offset
        return 2.0 * self.coeff * difference * torch.exp(self.coeff * difference ** 2)


def cosine_cutoff(length: Tensor, cutoff: float) -> Tensor:
    """SchNet's envelope C(r) = (cos(pi r / cutoff) + 1) / 2."""
    return 0.5 * (torch.cos(length * math.pi / cutoff) + 1.0)


def cosine_cutoff_slope(length: Tensor, cutoff: float) -> Tensor:
    """dC/dr of ``cosine_cutoff``."""
    return -0.5 * math.pi / cutoff * torch.sin(length * math.pi / cutoff)


class CFConv(torch.nn.Module):
    """The continuous-filter convolution: x_i' = lin2(sum_j lin1(x)_j * W_ij * C(r_ij)),
    with filters W_ij from the block's filter network and the cosine cutoff
    C(r) = (cos(pi r / cutoff) + 1) / 2.

    PyG's CFConv also holds the filter network, as ``nn``, aliasing the block's ``mlp``. Here
    the block passes the filters in instead: a module reachable under two names lists its
    parameters twice in C++ (torch::jit::Module::named_parameters does not deduplicate), and
    an optimiser or gradient export there would then count them twice.
    """

    def __init__(self, in_channels: int, out_channels: int, num_filters: int, cutoff: float):
        super().__init__()
        self.lin1 = Linear(in_channels, num_filters, bias=False)
        self.lin2 = Linear(num_filters, out_channels)
        self.cutoff = cutoff
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.xavier_uniform_(self.lin1.weight)
        torch.nn.init.xavier_uniform_(self.lin2.weight)
        self.lin2.bias.data.fill_(0)

    def forward(self, x: Tensor, index: Tensor, valid: Tensor, edge_weight: Tensor, filters: Tensor) -> Tensor:
        envelope = cosine_cutoff(edge_weight, self.cutoff) * valid.to(edge_weight.dtype)
        filters = filters * envelope.unsqueeze(-1)
        x = self.lin1(x)
        x = (gather_atoms(x, index) * filters).sum(2)
        return self.lin2(x)


class InteractionBlock(torch.nn.Module):
    """One SchNet interaction: CFConv with filters from ``mlp``, shifted softplus, linear.

    PyG's state dicts list the filter network twice, as ``mlp.*`` and ``conv.nn.*`` (one
    module under two names); loading accepts that second copy when it equals the first.
    """

    def __init__(self, hidden_channels: int, num_gaussians: int, num_filters: int, cutoff: float):
        super().__init__()
        self.mlp = Sequential(Linear(num_gaussians, num_filters), ShiftedSoftplus(), Linear(num_filters, num_filters))
        self.conv = CFConv(hidden_channels, hidden_channels, num_filters, cutoff)
        self.act = ShiftedSoftplus()
        self.lin = Linear(hidden_channels, hidden_channels)
        self.reset_parameters()
        self._register_load_state_dict_pre_hook(_drop_filter_alias)

    def reset_parameters(self):
        torch.nn.init.xavier_uniform_(self.mlp[0].weight)
        self.mlp[0].bias.data.fill_(0)
        torch.nn.init.xavier_uniform_(self.mlp[2].weight)
        self.mlp[2].bias.data.fill_(0)
        self.conv.reset_parameters()
        torch.nn.init.xavier_uniform_(self.lin.weight)
        self.lin.bias.data.fill_(0)

    def filter_network(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """The filter network's weights and biases: first layer, then second."""
        return self.mlp[0].weight, self.mlp[0].bias, self.mlp[2].weight, self.mlp[2].bias

    def forward(self, x: Tensor, index: Tensor, valid: Tensor, edge_weight: Tensor, edge_attr: Tensor) -> Tensor:
        x = self.conv(x, index, valid, edge_weight, self.mlp(edge_attr))
        x = self.act(x)
        return self.lin(x)


class TabulatedInteractionBlock(InteractionBlock):
    """An InteractionBlock whose filters come from a table instead of from the filter network
    on every edge: the network (and the cosine cutoff) is evaluated, with its exact derivative,
    on ``table_size`` lengths evenly spaced on [0, cutoff], and the convolution interpolates
    between them (cubic Hermite) in the operator ``affinity::filter_convolution`` (see
    ``operators.py``), which on CUDA never materialises the per-edge filters.

    The filter depends on an edge only through its length, so this is the same model up to the
    interpolation error, which falls as table_size**-4 (energies about 1e-7 and forces 3e-6
    relative at 1,024 points and PyG's defaults, 16 times less at 2,048). The table is made
    in double precision whatever the model's dtype, so that the cubics' coefficients keep the
    filter's derivative (the forces) accurate in float32. Parameters, names and gradients are
    those of InteractionBlock: the table is rebuilt from the parameters on every call and
    autograd flows through it.
    """

    def __init__(self, hidden_channels: int, num_gaussians: int, num_filters: int, cutoff: float, table_size: int):
        super().__init__(hidden_channels, num_gaussians, num_filters, cutoff)
        if table_size < 2:
            raise ValueError(f"TabulatedInteractionBlock: table_size is {table_size}; expected at least 2")
        self.spacing = cutoff / (table_size - 1)

    def forward(self, x: Tensor, index: Tensor, valid: Tensor, edge_weight: Tensor, edge_attr: Tensor) -> Tensor:
        """As InteractionBlock, except that ``index`` holds -1 in the empty slots
        (``masked_neighbors``; ``valid`` is then not read) and ``edge_weight`` is in the dtype of
        ``x``, and that ``edge_attr`` holds this block's filter coefficients [table_size - 1, 4, F]
        in that dtype (``filter_coefficients``, or one entry of ``tabulated_filter_coefficients``
        for every block at once), not the distance expansion of the edges.

        The caller masks the neighbours and converts the lengths once for all blocks: besides
        saving those kernels in every block, the operator's backward on CUDA then sorts the
        slots by segment once for all the blocks that share the two tensors, instead of once
        per block."""
        h = torch.ops.affinity.filter_convolution(self.conv.lin1(x), index, edge_weight, edge_attr, self.spacing)
        h = self.conv.lin2(h)
        return self.lin(self.act(h))

    def filter_coefficients(self, basis: Tensor) -> Tensor:
        """This block's cubics, [table_size - 1, 4, F] in the dtype of ``basis``
        (``SchNetAffinity.filter_table_basis``); see ``tabulated_filter_coefficients``."""
        return tabulated_filter_coefficients([self.filter_network()], basis, self.spacing, self.mlp[1].shift)[0]


def masked_neighbors(index: Tensor, valid: Tensor) -> Tensor:
    """The neighbour lists as ``affinity::filter_convolution`` takes them: ``index`` [B, N, K]
    with -1 in the slots that are not ``valid``."""
    return torch.where(valid, index, -1)


def stacked_filter_networks(
        networks: List[Tuple[Tensor, Tensor, Tensor, Tensor]]) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """K blocks' filter networks (``InteractionBlock.filter_network``) stacked: the first layer's
    weights [K, F, G] and biases [K, F], the second layer's [K, F, F] ([out, in]) and [K, F]."""
    return (torch.stack([n[0] for n in networks]), torch.stack([n[1] for n in networks]),
            torch.stack([n[2] for n in networks]), torch.stack([n[3] for n in networks]))


def tabulated_filter_coefficients(networks: List[Tuple[Tensor, Tensor, Tensor, Tensor]], basis: Tensor,
                                  spacing: float, shift: float) -> Tensor:
    """The cubic of each segment between the table's lengths for K blocks' filter networks
    (``InteractionBlock.filter_network``) at once, [K, table_size - 1, 4, F] in the dtype of
    ``basis`` (``SchNetAffinity.filter_table_basis``): a + b t + c t^2 + d t^3 with t in [0, 1)
    across the segment, from the filter's values and derivatives at its two ends (Hermite);
    ``shift`` is that of the networks' ShiftedSoftplus.

    The K tables are made by batched matrix products, not block by block: the table does not
    depend on the poses, so on a GPU its many small kernels are a fixed cost of every model
    call (and of its backward pass), which one set of kernels for all blocks divides by K."""
    dtype = basis.dtype
    first_weight, first_bias, second_weight, second_bias = stacked_filter_networks(networks)
    first_weight = first_weight.to(dtype)  # [K, F, G]
    first_bias = first_bias.to(dtype).unsqueeze(1)  # [K, 1, F]
    second_weight = second_weight.to(dtype).transpose(1, 2)  # [K, F, F], (in, out)
    second_bias = second_bias.to(dtype).unsqueeze(1)
    count, filters, gaussians = first_weight.shape
    points = basis.shape[1]
    envelope, envelope_slope = basis[0, :, -1:], basis[1, :, -1:]
    # The expansion and its slope through every block's first layer in one product: [2T, K F].
    both = torch.matmul(basis[:, :, :-1].reshape(2 * points, gaussians), first_weight.reshape(count * filters,
                                                                                               gaussians).t())
    both = both.reshape(2, points, count, filters).permute(0, 2, 1, 3)  # [2, K, T, F]
    hidden = both[0] + first_bias
    values = torch.baddbmm(second_bias, F.softplus(hidden) - shift, second_weight)
    # d softplus(z)/dz = sigmoid(z); the linear layers' biases do not depend on r.
    slopes = torch.bmm(torch.sigmoid(hidden) * both[1], second_weight)
    slopes = (slopes * envelope + values * envelope_slope) * spacing  # d/dt
    values = values * envelope
    y0, y1, m0, m1 = values[:, :-1], values[:, 1:], slopes[:, :-1], slopes[:, 1:]
    return torch.stack([y0, m0, 3.0 * (y1 - y0) - 2.0 * m0 - m1, 2.0 * (y0 - y1) + m0 + m1], dim=2)


def filter_tables(networks: List[Tuple[Tensor, Tensor, Tensor, Tensor]], basis: Tensor, spacing: float,
                  shift: float, dtype: torch.dtype) -> Tensor:
    """``tabulated_filter_coefficients`` by the operator ``affinity::filter_tables`` (see
    ``operators.py``), in ``dtype``: the same float64 arithmetic in a few fused kernels, whose
    backward recomputes the [K, T, F] intermediates instead of keeping them from the forward
    (about 75 MB at the defaults and 2,048 lengths), so that a model call being differentiated
    holds little more than its poses' memory. First derivatives only; the plain formula gives
    higher ones."""
    first_weight, first_bias, second_weight, second_bias = stacked_filter_networks(networks)
    return torch.ops.affinity.filter_tables(first_weight, first_bias, second_weight, second_bias, basis, spacing,
                                            shift, dtype)


class PlainFilterTables(torch.nn.Module):
    """Makes the filter tables of every block (``tabulated_filter_coefficients``) in ``dtype``
    with plain LibTorch operations: what a model without tabulated blocks holds, so that its
    scripted code names no operator of the library it does not need."""

    def __init__(self, spacing: float, shift: float):
        super().__init__()
        self.spacing = spacing
        self.shift = shift

    def forward(self, networks: List[Tuple[Tensor, Tensor, Tensor, Tensor]], basis: Tensor,
                dtype: torch.dtype) -> Tensor:
        return tabulated_filter_coefficients(networks, basis, self.spacing, self.shift).to(dtype)


class FusedFilterTables(PlainFilterTables):
    """The same tables by the operator ``affinity::filter_tables`` (``filter_tables``)."""

    def forward(self, networks: List[Tuple[Tensor, Tensor, Tensor, Tensor]], basis: Tensor,
                dtype: torch.dtype) -> Tensor:
        return filter_tables(networks, basis, self.spacing, self.shift, dtype)


def _drop_filter_alias(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
    """Remove PyG's second name of the filter network, ``conv.nn.*``, from a state dict being
    loaded, after checking that it holds the same values as ``mlp.*``."""
    alias = prefix + "conv.nn."
    for key in [k for k in state_dict.keys() if k.startswith(alias)]:
        original = prefix + "mlp." + key[len(alias):]
        if original in state_dict and not torch.equal(state_dict[original], state_dict[key]):
            error_msgs.append(f"{key} differs from {original}; expected one filter network under both names, as PyG has")
        del state_dict[key]
