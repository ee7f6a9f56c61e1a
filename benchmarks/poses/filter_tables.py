# SPDX-License-Identifier: MIT
"""The filter tables of a tabulated SchNet while it trains: the plain formula against the operator.

A SchNetAffinity with tabulated filters makes the cubic tables of all its interaction blocks
from their filter networks on every call whose weights require gradients. This program makes
them both ways for a model of the given sizes (PyG's defaults unless told) and reports, per way:

  - ms for one forward and backward of the tables (the least of --repeats, after a warm-up);
  - the LibTorch operators that forward and backward run (outermost ones, LibTorch's profiler);
  - the bytes that autograd keeps from the forward for the backward (saved-tensor hooks);
  - on CUDA, the peak memory the forward and backward allocate above what was allocated before.

"plain" is `tabulated_filter_coefficients` (plain LibTorch operations, differentiated by
autograd); "operator" is `filter_tables` (affinity::filter_tables). Both give float32 tables
from float32 weights, computed in float64. The operator library must be loadable
(`openmmaffinity.models.operators.load_operators`: installed, or at $AFFINITY_OPS_LIBRARY, e.g.
build/libOpenMMAffinityOps.so of a build without the Python package).

usage: python filter_tables.py [--device cpu|cuda] [--table-size 2048] [--blocks 6]
                               [--filters 128] [--gaussians 50] [--repeats 10]
"""
import argparse
import importlib.util
import sys
import time
from pathlib import Path

import torch


def import_models():
    """openmmaffinity.models as installed, or else from this repository's source tree by path (it
    needs only torch): a GPU machine with a bare build has no openmmaffinity package."""
    try:
        import openmmaffinity.models as models

        return models
    except ImportError:
        root = Path(__file__).resolve().parents[2] / "wrappers" / "python" / "openmmaffinity" / "models"
        spec = importlib.util.spec_from_file_location("openmmaffinity_models", root / "__init__.py",
                                                      submodule_search_locations=[str(root)])
        models = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = models
        spec.loader.exec_module(models)
        return models


models = import_models()
SchNetAffinity = models.SchNetAffinity
filter_tables = models.schnet_layers.filter_tables
tabulated_filter_coefficients = models.schnet_layers.tabulated_filter_coefficients


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--table-size", type=int, default=2048)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--filters", type=int, default=128)
    parser.add_argument("--gaussians", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = SchNetAffinity(num_filters=args.filters, num_interactions=args.blocks, num_gaussians=args.gaussians,
                           filter_table_size=args.table_size).to(device)
    networks = [block.filter_network() for block in model.interactions]
    parameters = [p for network in networks for p in network]
    basis = model.filter_table_basis(device)
    spacing, shift = model.filter_table_spacing, model.act.shift
    ways = {
        "plain": lambda: tabulated_filter_coefficients(networks, basis, spacing, shift).to(torch.float32),
        "operator": lambda: filter_tables(networks, basis, spacing, shift, torch.float32),
    }
    weights = torch.randn(args.blocks, args.table_size - 1, 4, args.filters, device=device)

    def forward_and_backward(make):
        return torch.autograd.grad((make() * weights).sum(), parameters)

    print(f"filter tables: {args.blocks} blocks, {args.table_size} lengths, {args.filters} filters, "
          f"{args.gaussians} Gaussians, float32 weights, on {device}, torch {torch.__version__}")
    print("| way | ms, forward + backward | operators | kept for the backward, MB | peak above start, MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, make in ways.items():
        forward_and_backward(make)  # warm-up
        times = []
        for _ in range(args.repeats):
            synchronize(device)
            start = time.perf_counter()
            forward_and_backward(make)
            synchronize(device)
            times.append(time.perf_counter() - start)
        with torch.autograd.profiler.profile() as profile:
            forward_and_backward(make)
        operators = len([e for e in profile.function_events if e.cpu_parent is None])
        kept = []

        def pack(t):
            kept.append(t.numel() * t.element_size())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            table = make()
        torch.autograd.grad((table * weights).sum(), parameters)
        peak = "n/a"
        if device.type == "cuda":
            synchronize(device)
            before = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            forward_and_backward(make)
            synchronize(device)
            peak = f"{(torch.cuda.max_memory_allocated(device) - before) / 1e6:.1f}"
        print(f"| {name} | {1000 * min(times):.3f} | {operators} | {sum(kept) / 1e6:.1f} | {peak} |")


if __name__ == "__main__":
    main()
