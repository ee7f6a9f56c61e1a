# SPDX-License-Identifier: MIT
"""What the combinations and the gradient export return, as numpy arrays.

The extension hands results over as dicts whose arrays are bytearrays of float64; these
classes view them with numpy (no further copy) and give them their shapes."""

from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np


def _doubles(buffer, shape=None):
    array = np.frombuffer(buffer, dtype=np.float64)
    return array if shape is None else array.reshape(shape)


def _named_arrays(items):
    return {name: _doubles(values, shape) for name, shape, values in items}


def _unit_name(per_kj):
    return "kJ/mol" if per_kj == 1.0 else "kcal/mol"


def add_gradients_to_module(gradients, module):
    """Add gradients (name → numpy array or torch tensor) to the .grad of a torch module's
    trainable parameters, by name, as backward() would. Raises KeyError naming a trainable
    parameter of the module that has no gradient, before any .grad changes."""
    import torch

    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    for name, _ in trainable:
        if name not in gradients:
            raise KeyError(
                "add_to_grad: the module's parameter '%s' has no gradient; the gradients are of %s"
                % (name, sorted(gradients))
            )
    for name, parameter in trainable:
        gradient = torch.as_tensor(gradients[name]).to(dtype=parameter.dtype, device=parameter.device)
        if parameter.grad is None:
            parameter.grad = gradient.clone()
        else:
            parameter.grad.add_(gradient)


@dataclass
class Combined:
    """One ligand's per-pose energies combined into one ΔG."""

    delta_g: float
    """ΔG in kJ/mol."""
    weights: np.ndarray
    """The weight of each pose, softmax(κ G)_n, [P]; they sum to 1."""
    coefficients: np.ndarray
    """c_n = ∂ΔG/∂G_n, [P]."""

    unit: str = "kJ/mol"
    """The unit of delta_g: "kJ/mol" or "kcal/mol"."""

    @classmethod
    def from_dict(cls, values, per_kj=1.0):
        """From the extension's dict (kJ/mol), with delta_g converted by per_kj (units per kJ/mol)."""
        return cls(values["delta_g"] * per_kj, _doubles(values["weights"]), _doubles(values["coefficients"]),
                   _unit_name(per_kj))


@dataclass
class CombinedGradient:
    """The gradient of a loss on the combined ΔG of one ligand's poses (Scorer.combined_gradient)."""

    delta_g: float
    """The combined ΔG in kJ/mol."""
    loss: float
    """The loss L."""
    energies: np.ndarray
    """G_n in kJ/mol, [P]."""
    weights: np.ndarray
    """The pose weights of the combination, [P]."""
    coefficients: np.ndarray
    """c_n = ∂ΔG/∂G_n, [P]."""
    loss_coefficients: np.ndarray
    """g_n = ∂L/∂G_n, [P], so that dL/dθ = Σ_n g_n dG_n/dθ."""
    gradients: Dict[str, np.ndarray]
    """dL/dθ by parameter name, as model.named_parameters() names them, in the parameters' shapes."""
    position_gradients: Optional[np.ndarray]
    """dΔG/dx_n = c_n dG_n/dx_n, [P,N,3] in kJ/mol/nm, when asked for; else None."""
    unit: str = "kJ/mol"
    """The energy unit of delta_g, energies and position_gradients (and of the G_n in g_n = ∂L/∂G_n):
    "kJ/mol" or "kcal/mol". The loss and dL/dθ are the loss's own, whatever the unit."""

    @classmethod
    def from_dict(cls, values, num_atoms, per_kj=1.0):
        """From the extension's dict (kJ/mol), with energies converted by per_kj (units per kJ/mol)."""
        positions = values["position_gradients"]
        return cls(
            delta_g=values["delta_g"] * per_kj,
            loss=values["loss"],
            energies=_doubles(values["energies"]) * per_kj,
            weights=_doubles(values["weights"]),
            coefficients=_doubles(values["coefficients"]),
            loss_coefficients=_doubles(values["loss_coefficients"]) / per_kj,
            gradients=_named_arrays(values["gradients"]),
            position_gradients=None if positions is None else _doubles(positions, (-1, num_atoms, 3)) * per_kj,
            unit=_unit_name(per_kj),
        )

    def add_to_grad(self, module):
        """Add the gradients to the .grad of a torch module's parameters, by name, as backward() would.

        Raises KeyError naming a trainable parameter of the module that has no gradient here."""
        add_gradients_to_module(self.gradients, module)


@dataclass
class PoseGradient:
    """One pose's energy and gradients (Scorer.for_each_pose_gradient)."""

    pose: int
    """The index of the pose."""
    energy: float
    """G_n in kJ/mol."""
    gradients: Dict[str, np.ndarray]
    """dG_n/dθ by parameter name, in the parameters' shapes."""
    position_gradient: Optional[np.ndarray]
    """dG_n/dx, [N,3] in kJ/mol/nm, when asked for; else None."""
    unit: str = "kJ/mol"
    """The energy unit of energy, gradients and position_gradient: "kJ/mol" or "kcal/mol"."""

    @classmethod
    def from_dict(cls, values, num_atoms, per_kj=1.0):
        """From the extension's dict (kJ/mol), converted by per_kj (units per kJ/mol)."""
        position = values["position_gradient"]
        gradients = _named_arrays(values["gradients"])
        if per_kj != 1.0:
            gradients = {name: array * per_kj for name, array in gradients.items()}
        return cls(
            pose=values["pose"],
            energy=values["energy"] * per_kj,
            gradients=gradients,
            position_gradient=None if position is None else _doubles(position, (num_atoms, 3)) * per_kj,
            unit=_unit_name(per_kj),
        )
