# SPDX-License-Identifier: MIT
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
- Losses over sets of ligands: ``combined_gradient_set``, ``evaluate_set`` and
  ``combined_dg`` (a ``torch.autograd.Function``), with ``Ligand``, ``SetGradient`` and the
  losses ``MeanSquaredError``, ``CentredMeanSquaredError``, ``PairwiseRankingLoss``,
  ``GaussianNllLoss`` (or a name, a TorchScript module, a torch function; ``set_loss``).

The module constants ``DEFAULT_TEMPERATURE`` (K), ``DEFAULT_MEMORY_BUDGET_MIB``,
``DEFAULT_SMOOTH_MAX_SCALE``, ``DEFAULT_POCKET_CUTOFF_NM`` and ``NM_PER_ANGSTROM`` are the
plugin's own defaults and unit factor, which the functions here use.

OpenMM objects keep OpenMM's camelCase method names; the Python-only API is snake_case, as
PyTorch is. Units are OpenMM's: nm, kJ/mol, K. Errors reported by the plugin raise
``openmm.OpenMMException`` with the plugin's message; malformed arguments (shapes, dtypes,
types) raise ``ValueError`` or ``TypeError`` before anything reaches C++. Results are in kJ/mol
unless ``unit="kcal/mol"`` is asked for.

``openmmaffinity.docking`` reads receptors, poses and pocket complexes as the command-line tools
do. ``__version__`` is the plugin's version (the C++ ``AffinityVersion.h`` gives the same).

Installed from the wheel, the package holds the plugin's libraries and its OpenMM platform
plugins (``plugin_directory()``) and loads those plugins into OpenMM when it is imported; a
development install (``cmake --install``) puts the plugins into OpenMM's own plugin folder, where
``import openmm`` loads them.
"""

from ._plugins import load_plugins as _load_plugins, plugin_directory

_load_plugins()

from .openmmaffinity import (
    DEFAULT_MEMORY_BUDGET_MIB,
    DEFAULT_POCKET_CUTOFF_NM,
    DEFAULT_SMOOTH_MAX_SCALE,
    DEFAULT_TEMPERATURE,
    KJ_PER_KCAL,
    NM_PER_ANGSTROM,
    VERSION,
    AffinityForce,
    AffinityLoss,
    BoltzmannCombination,
    CentredMeanSquaredError,
    Combination,
    GaussianNllLoss,
    LigandSetLoss,
    MaxCombination,
    MeanCombination,
    MeanSquaredError,
    PairwiseRankingLoss,
    Readout,
    TorchScriptSetLoss,
)
from ._results import Combined, CombinedGradient, PoseGradient
from .scorer import Scorer
from .ligand_sets import Ligand, SetGradient, combined_dg, combined_gradient_set, evaluate_set, set_loss

__version__ = VERSION

__all__ = [
    "DEFAULT_MEMORY_BUDGET_MIB",
    "DEFAULT_POCKET_CUTOFF_NM",
    "DEFAULT_SMOOTH_MAX_SCALE",
    "DEFAULT_TEMPERATURE",
    "KJ_PER_KCAL",
    "NM_PER_ANGSTROM",
    "VERSION",
    "AffinityForce",
    "AffinityLoss",
    "BoltzmannCombination",
    "CentredMeanSquaredError",
    "Combination",
    "Combined",
    "CombinedGradient",
    "GaussianNllLoss",
    "Ligand",
    "LigandSetLoss",
    "MaxCombination",
    "MeanCombination",
    "MeanSquaredError",
    "PairwiseRankingLoss",
    "PoseGradient",
    "Readout",
    "Scorer",
    "SetGradient",
    "TorchScriptSetLoss",
    "combined_dg",
    "combined_gradient_set",
    "evaluate_set",
    "plugin_directory",
    "set_loss",
]
