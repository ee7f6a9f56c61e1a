# SPDX-License-Identifier: MIT
"""Write SchNetAffinity models with tabulated filters (the fused operator
affinity::filter_convolution) for the C++ tests: a small one in float32 and float64, and one of
the benchmark model's widths in float32.

The models package is loaded from the source tree by path, so this needs torch and the
operator library only (its path in $AFFINITY_OPS_LIBRARY), not the compiled Python module.

Usage: AFFINITY_OPS_LIBRARY=.../libOpenMMAffinityOps.so python make_schnet_test_models.py OUTPUT_DIR
"""
import importlib.util
import os
import sys
from pathlib import Path

import torch

MODELS = Path(__file__).resolve().parents[2] / "wrappers" / "python" / "openmmaffinity" / "models"


def load_models_package():
    spec = importlib.util.spec_from_file_location("affinity_models", MODELS / "__init__.py",
                                                  submodule_search_locations=[str(MODELS)])
    package = importlib.util.module_from_spec(spec)
    sys.modules["affinity_models"] = package
    spec.loader.exec_module(package)
    return package


def main():
    output = sys.argv[1]
    os.makedirs(output, exist_ok=True)
    models = load_models_package()
    torch.manual_seed(11)
    # Small enough for quick tests, with every part of the real model: two interactions, a
    # cutoff shorter than the test complexes so that slots go empty, and more atoms within
    # the cutoff than neighbour slots.
    model = models.SchNetAffinity(hidden_channels=16, num_filters=16, num_interactions=2, num_gaussians=12,
                                  cutoff=0.5, max_num_neighbors=8, filter_table_size=512)
    for dtype, name in ((torch.float32, "schnet_tab_f32.pt"), (torch.float64, "schnet_tab_f64.pt")):
        models.script_model(model.to(dtype)).save(os.path.join(output, name))
    # The benchmark model's widths (128 channels and filters, 50 Gaussians, 1 nm cutoff, 32
    # neighbours), whose linears are large enough for tensor-core matrix products; three
    # interactions rather than six keep the file small.
    wide = models.SchNetAffinity(hidden_channels=128, num_filters=128, num_interactions=3, num_gaussians=50,
                                 cutoff=1.0, max_num_neighbors=32, filter_table_size=2048)
    models.script_model(wide.to(torch.float32)).save(os.path.join(output, "schnet_wide_f32.pt"))


if __name__ == "__main__":
    main()
