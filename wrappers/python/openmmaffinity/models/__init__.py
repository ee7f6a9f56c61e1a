"""Reference affinity models for openmm-affinity, in plain PyTorch.

``SchNetAffinity`` is a SchNet protein–ligand model of the second model contract
(positions in nm, atomic numbers, ligand mask -> energy) with PyTorch Geometric's parameter
names; ``export`` writes it as a TorchScript file that every part of the product loads.
This subpackage needs only torch: it does not import the compiled ``openmmaffinity`` module.
"""
from .schnet_affinity import ANGSTROM_PER_NM, ENERGY_UNITS, STRATEGIES, SchNetAffinity, script_model

__all__ = ["SchNetAffinity", "script_model", "STRATEGIES", "ENERGY_UNITS", "ANGSTROM_PER_NM"]
