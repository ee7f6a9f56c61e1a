# SPDX-License-Identifier: MIT
"""Shared set-up of the Python tests: tests marked `cuda` are skipped, with the reason printed
(pytest -rs, see pytest.ini), where OpenMM has no CUDA platform or LibTorch no CUDA device."""

import pytest


def cuda_missing_reason():
    """Why the cuda tests cannot run here, or None if they can."""
    import openmm
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device for LibTorch (torch.cuda.is_available() is False)"
    names = [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]
    if "CUDA" not in names:
        return "OpenMM has no CUDA platform here (platforms: %s)" % ", ".join(names)
    return None


def pytest_collection_modifyitems(config, items):
    cuda_items = [item for item in items if "cuda" in item.keywords]
    reason = cuda_missing_reason() if cuda_items else None
    if reason is not None:
        for item in cuda_items:
            item.add_marker(pytest.mark.skip(reason=reason))
