# SPDX-License-Identifier: MIT
"""The TorchScript operators of openmm-affinity (``torch.ops.affinity``), for models that call
them: ``affinity::filter_convolution``, SchNet's continuous-filter convolution with a tabulated
filter, fused into one CUDA kernel on the GPU and plain LibTorch operations elsewhere; and
``affinity::nearest_neighbors``, the dense neighbour lists (K nearest within a cutoff) without
a distance matrix, one CUDA kernel on the GPU and a sort of each atom's candidates elsewhere;
and ``affinity::filter_tables``, every block's filter table from its filter network in a few
fused float64 kernels, whose backward recomputes its intermediates instead of keeping them.

The operators live in the library ``libOpenMMAffinityOps.so``, which the plugin loads with
itself (so the plugin, ``affinity-rescore`` and ``affinity-train`` run such models as they
are). Python must load it before it scripts or loads a model that calls them;
``load_operators()`` does, from ``$AFFINITY_OPS_LIBRARY`` or from where the build installs it
(the openmm wheel's ``OpenMM.libs/lib``).
"""
import importlib.util
import os
from pathlib import Path

import torch

LIBRARY_NAME = "libOpenMMAffinityOps.so"


def operators_loaded() -> bool:
    """Whether ``torch.ops.affinity.filter_convolution`` is registered in this process."""
    try:
        torch.ops.affinity.filter_convolution
    except (AttributeError, RuntimeError):
        return False
    return True


def library_candidates():
    """Where the operator library may be, first match wins."""
    explicit = os.environ.get("AFFINITY_OPS_LIBRARY")
    if explicit:
        yield Path(explicit)
    # The wheel keeps the plugin's libraries in the package (openmmaffinity/lib).
    yield Path(__file__).resolve().parent.parent / "lib" / LIBRARY_NAME
    spec = importlib.util.find_spec("openmm")
    if spec is not None and spec.origin is not None:
        yield Path(spec.origin).resolve().parent.parent / "OpenMM.libs" / "lib" / LIBRARY_NAME


def load_operators() -> None:
    """Register the ``affinity`` operators with TorchScript, once; raise RuntimeError naming
    the places searched when the library is not found."""
    if operators_loaded():
        return
    searched = []
    for candidate in library_candidates():
        searched.append(str(candidate))
        if candidate.is_file():
            torch.ops.load_library(str(candidate))
            if operators_loaded():
                return
    raise RuntimeError(
        "openmmaffinity.models: the operator library " + LIBRARY_NAME + " was not found (searched: " +
        (", ".join(searched) or "nothing") + "); build and install openmm-affinity, or set AFFINITY_OPS_LIBRARY "
        "to the library's path. Models with filter_table_size = 0 do not need it.")
