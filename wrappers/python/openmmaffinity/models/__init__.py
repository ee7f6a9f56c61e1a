# SPDX-License-Identifier: MIT
"""Reference affinity models for openmm-affinity, in plain PyTorch.

``SchNetAffinity`` is a SchNet protein–ligand model of the second model contract
(positions in nm, atomic numbers, ligand mask -> energy) with PyTorch Geometric's parameter
names; ``export`` writes it as a TorchScript file that every part of the product loads.
``default_model_path()`` is the trained default model of ``affinity-rescore`` (see README.md
here: what it was trained on, and what it is not).
This subpackage needs only torch: it does not import the compiled ``openmmaffinity`` module.
"""
from pathlib import Path

from .contact_affinity import ContactAffinity, script_contact_model
from .schnet_affinity import ANGSTROM_PER_NM, ENERGY_UNITS, STRATEGIES, SchNetAffinity, script_model


def default_model_path() -> Path:
    """The TorchScript file of the default model: a ContactAffinity trained on measured binding
    free energies of congeneric series, to rank the ligands of one series in one pocket (see
    README.md here and the project's README; not a free energy method)."""
    return Path(__file__).resolve().with_name("default_model.pt")


__all__ = ["ContactAffinity", "script_contact_model", "SchNetAffinity", "script_model", "default_model_path", "STRATEGIES", "ENERGY_UNITS", "ANGSTROM_PER_NM"]
