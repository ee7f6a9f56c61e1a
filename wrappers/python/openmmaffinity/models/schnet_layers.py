"""The layers of SchNet, with the module names and parameter shapes of PyTorch Geometric's
``torch_geometric.nn.models.schnet`` so that state dicts move between the two.

They work on dense neighbour lists ([B, N, K], see ``neighbors.py``) instead of PyG's edge
lists, which makes them scriptable with ``torch.jit.script`` and free of compiled extras.
"""
import math

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
        envelope = 0.5 * (torch.cos(edge_weight * math.pi / self.cutoff) + 1.0)
        envelope = envelope * valid.to(envelope.dtype)
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

    def forward(self, x: Tensor, index: Tensor, valid: Tensor, edge_weight: Tensor, edge_attr: Tensor) -> Tensor:
        x = self.conv(x, index, valid, edge_weight, self.mlp(edge_attr))
        x = self.act(x)
        return self.lin(x)


def _drop_filter_alias(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
    """Remove PyG's second name of the filter network, ``conv.nn.*``, from a state dict being
    loaded, after checking that it holds the same values as ``mlp.*``."""
    alias = prefix + "conv.nn."
    for key in [k for k in state_dict.keys() if k.startswith(alias)]:
        original = prefix + "mlp." + key[len(alias):]
        if original in state_dict and not torch.equal(state_dict[original], state_dict[key]):
            error_msgs.append(f"{key} differs from {original}; expected one filter network under both names, as PyG has")
        del state_dict[key]
