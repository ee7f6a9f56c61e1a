"""openmmaffinity: a learned binding energy for OpenMM, from Python.

The classes of the C++ plugin, wrapped with SWIG on top of OpenMM's own Python module:

- ``AffinityForce``: an ``openmm.Force`` that evaluates a TorchScript model; it goes into a
  ``System``, serializes with ``openmm.XmlSerializer`` and casts back with
  ``AffinityForce.cast(system.getForce(i))``.
- ``MeanCombination``, ``MaxCombination``, ``BoltzmannCombination``: how per-pose energies
  combine into one ΔG; ``AffinityLoss`` and ``Readout``: the loss on that ΔG.

and the Python-only pieces around them:

- ``Scorer``: a model bound to one complex topology on a chosen device, without a Context:
  per-pose energies, the combined gradient and per-pose gradients, as numpy arrays.
- ``Combined``, ``CombinedGradient``, ``PoseGradient``: what those return.

OpenMM objects keep OpenMM's camelCase method names; the Python-only API is snake_case, as
PyTorch is. Units are OpenMM's: nm, kJ/mol, K. Errors reported by the plugin raise
``openmm.OpenMMException`` with the plugin's message; malformed arguments (shapes, dtypes,
types) raise ``ValueError`` or ``TypeError`` before anything reaches C++.
"""

from .openmmaffinity import (
    AffinityForce,
    AffinityLoss,
    BoltzmannCombination,
    Combination,
    MaxCombination,
    MeanCombination,
    Readout,
)
from ._results import Combined, CombinedGradient, PoseGradient
from .scorer import Scorer

__all__ = [
    "AffinityForce",
    "AffinityLoss",
    "BoltzmannCombination",
    "Combination",
    "Combined",
    "CombinedGradient",
    "MaxCombination",
    "MeanCombination",
    "PoseGradient",
    "Readout",
    "Scorer",
]
