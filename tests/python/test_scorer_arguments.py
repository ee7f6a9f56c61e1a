# SPDX-License-Identifier: MIT
"""The Scorer and the set functions refuse the batch sizes and memory budgets that the
command-line tools refuse (a negative or non-integer batch size, a memory budget that is not a
positive number), with a ValueError naming the argument, before anything runs."""

import math

import pytest

import openmmaffinity as oa
from scripted_models import complex_poses, complex_topology, scripted_contact_model


@pytest.fixture(scope="module")
def scorer():
    numbers, mask = complex_topology()
    return oa.Scorer(scripted_contact_model(), numbers, mask)


def calls(scorer):
    poses = complex_poses(3)
    numbers, mask = complex_topology()
    ligands = [oa.Ligand(poses, -20.0, atomic_numbers=numbers, ligand_mask=mask)]
    model = scripted_contact_model()
    return {
        "pose_energies": lambda **kw: scorer.pose_energies(poses, **kw),
        "combined_gradient": lambda **kw: scorer.combined_gradient(poses, oa.MeanCombination(), -20.0, **kw),
        "combined_gradient_set": lambda **kw: oa.combined_gradient_set(ligands, oa.MeanCombination(), model=model,
                                                                       **kw),
        "evaluate_set": lambda **kw: oa.evaluate_set(ligands, oa.MeanCombination(), model=model, **kw),
        "combined_dg": lambda **kw: oa.combined_dg(ligands, oa.MeanCombination(), model=model, **kw),
    }


@pytest.mark.parametrize("call", ["pose_energies", "combined_gradient", "combined_gradient_set", "evaluate_set",
                                  "combined_dg"])
@pytest.mark.parametrize("batch_size", [-1, -100, math.nan, 2.5, math.inf])
def test_bad_batch_sizes_are_refused(scorer, call, batch_size):
    with pytest.raises(ValueError, match="batch_size: expected a whole number of poses, 0 or more"):
        calls(scorer)[call](batch_size=batch_size)


@pytest.mark.parametrize("call", ["pose_energies", "combined_gradient", "combined_gradient_set", "evaluate_set",
                                  "combined_dg"])
@pytest.mark.parametrize("budget", [0, 0.0, -1.0, math.nan, math.inf, -math.inf])
def test_bad_memory_budgets_are_refused(scorer, call, budget):
    with pytest.raises(ValueError, match="memory_budget_mib: expected a positive, finite number of MiB"):
        calls(scorer)[call](memory_budget_mib=budget)


def test_good_values_are_taken(scorer):
    poses = complex_poses(3)
    reference = scorer.pose_energies(poses)
    assert list(scorer.pose_energies(poses, batch_size=2, memory_budget_mib=0.5)) == pytest.approx(list(reference),
                                                                                                   rel=1e-12)
    assert list(scorer.pose_energies(poses, batch_size=2.0)) == pytest.approx(list(reference), rel=1e-12)


def test_matmul_precision_is_a_cuda_setting_kept_by_for_topology():
    numbers, mask = complex_topology()
    poses = complex_poses(3)
    scorer = oa.Scorer(scripted_contact_model(), numbers, mask)
    assert scorer.matmul_precision == "float32"
    reference = list(scorer.pose_energies(poses))
    for bad in ("bf16", "TF32", None, 32):
        with pytest.raises(ValueError, match="matmul_precision: expected 'float32' or 'tf32'"):
            scorer.matmul_precision = bad
    assert scorer.matmul_precision == "float32"
    scorer.matmul_precision = "tf32"
    assert scorer.matmul_precision == "tf32"
    assert scorer.for_topology(numbers, mask).matmul_precision == "tf32"
    # TF32 is a CUDA matrix-product mode: on the CPU the energies are the same to the bit.
    assert list(scorer.pose_energies(poses)) == reference
