# SPDX-License-Identifier: MIT
"""Tests of openmmaffinity.metrics against small examples worked out by hand in the comments."""

import math

import numpy as np
import pytest

from openmmaffinity import metrics

# The worked example: 5 ligands, one tie in the predictor.
#   p = [1, 2, 2, 4, 6]   mean 15/5 = 3   p − p̄ = [-2, -1, -1, 1, 3]   Σ(p − p̄)² = 4+1+1+1+9 = 16
#   e = [2, 1, 4, 3, 5]   mean 15/5 = 3   e − ē = [-1, -2, 1, 0, 2]    Σ(e − ē)² = 1+4+1+0+4 = 10
P = [1.0, 2.0, 2.0, 4.0, 6.0]
E = [2.0, 1.0, 4.0, 3.0, 5.0]

# Pearson: Σ(p − p̄)(e − ē) = 2 + 2 − 1 + 0 + 6 = 9, so r = 9 / sqrt(16 · 10) = 9 / sqrt(160).
R_HAND = 9.0 / math.sqrt(160.0)

# Spearman: ranks of p (the two 2s share ranks 2 and 3 → 2.5) = [1, 2.5, 2.5, 4, 5], mean 3,
#   deviations [-2, -0.5, -0.5, 1, 2], Σ² = 4 + 0.25 + 0.25 + 1 + 4 = 9.5;
#   ranks of e = [2, 1, 4, 3, 5], deviations [-1, -2, 1, 0, 2], Σ² = 10;
#   Σ products = 2 + 1 − 0.5 + 0 + 4 = 6.5, so ρ = 6.5 / sqrt(9.5 · 10) = 6.5 / sqrt(95).
RHO_HAND = 6.5 / math.sqrt(95.0)

# Kendall τ_b over the 10 pairs (i, j), sign of p_j − p_i and of e_j − e_i:
#   (0,1) +,− D   (0,2) +,+ C   (0,3) +,+ C   (0,4) +,+ C   (1,2) 0,+ tied in p
#   (1,3) +,+ C   (1,4) +,+ C   (2,3) +,− D   (2,4) +,+ C   (3,4) +,+ C
#   n_c = 7, n_d = 2, n_0 = 10, n_p = 1, n_e = 0: τ_b = (7 − 2) / sqrt((10 − 1)(10 − 0)) = 5 / sqrt(90).
TAU_HAND = 5.0 / math.sqrt(90.0)

# Centred RMSE: (p − p̄) − (e − ē) = [-1, 1, -2, 1, 1], squares sum to 8, mean 8/5, root sqrt(1.6).
CRMSE_HAND = math.sqrt(1.6)

# Series-mean RMSE: sqrt(Σ(e − ē)² / 5) = sqrt(10 / 5) = sqrt(2).
BASELINE_HAND = math.sqrt(2.0)


def test_worked_example():
    assert metrics.pearson(P, E) == pytest.approx(R_HAND, abs=1e-12)
    assert metrics.spearman(P, E) == pytest.approx(RHO_HAND, abs=1e-12)
    assert metrics.kendall_tau(P, E) == pytest.approx(TAU_HAND, abs=1e-12)
    assert metrics.centred_rmse(P, E) == pytest.approx(CRMSE_HAND, abs=1e-12)
    assert metrics.series_mean_rmse(E) == pytest.approx(BASELINE_HAND, abs=1e-12)


def test_symmetry_of_correlations():
    # r, ρ and τ_b are symmetric in their arguments, so swapping gives the same hand values.
    assert metrics.pearson(E, P) == pytest.approx(R_HAND, abs=1e-12)
    assert metrics.spearman(E, P) == pytest.approx(RHO_HAND, abs=1e-12)
    assert metrics.kendall_tau(E, P) == pytest.approx(TAU_HAND, abs=1e-12)


def test_average_ranks_of_ties():
    # 20 and 20 occupy ranks 2 and 3 → both (2 + 3) / 2 = 2.5.
    assert metrics.average_ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    # The three 5s occupy ranks 2, 3, 4 → all 3; the 1 is rank 1.
    assert metrics.average_ranks([5, 5, 5, 1]).tolist() == [3.0, 3.0, 3.0, 1.0]
    # No ties: plain ranks.
    assert metrics.average_ranks([0.3, -1.0, 2.0]).tolist() == [2.0, 1.0, 3.0]


def test_kendall_ties_on_both_sides():
    # x = [1, 1, 2, 3], y = [1, 2, 2, 3]: pairs (0,1) tied in x; (1,2) tied in y;
    # (0,2) (0,3) (1,3) (2,3) concordant. n_c = 4, n_d = 0, n_0 = 6, n_x = 1, n_y = 1:
    # τ_b = 4 / sqrt(5 · 5) = 0.8.
    assert metrics.kendall_tau([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8, abs=1e-12)
    # x = [1, 1, 2], y = [5, 5, 6]: (0,1) tied in both; (0,2) and (1,2) concordant.
    # n_c = 2, n_0 = 3, n_x = n_y = 1: τ_b = 2 / sqrt(2 · 2) = 1 (the same order, ties included).
    assert metrics.kendall_tau([1, 1, 2], [5, 5, 6]) == pytest.approx(1.0, abs=1e-12)


def test_spearman_ties_on_both_sides():
    # x = [1, 1, 2, 3] → ranks [1.5, 1.5, 3, 4]; y = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4].
    # Both means 2.5; deviations [-1, -1, 0.5, 1.5] (Σ² = 1 + 1 + 0.25 + 2.25 = 4.5) and
    # [-1.5, 0, 0, 1.5] (Σ² = 4.5); Σ products = 1.5 + 0 + 0 + 2.25 = 3.75; ρ = 3.75 / 4.5.
    assert metrics.spearman([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(3.75 / 4.5, abs=1e-12)


def test_perfect_and_inverse_correlation():
    x = np.array([-9.1, -8.0, -7.5, -6.2, -5.0, -4.4])
    for f in (metrics.pearson, metrics.spearman, metrics.kendall_tau):
        assert f(x, 2.0 * x + 1.0) == pytest.approx(1.0, abs=1e-12)
        assert f(x, -0.5 * x + 3.0) == pytest.approx(-1.0, abs=1e-12)
    # A monotone but non-linear relation: ranks agree exactly, the linear correlation does not.
    y = np.exp(-x)
    assert metrics.spearman(x, y) == pytest.approx(-1.0, abs=1e-12)
    assert metrics.kendall_tau(x, y) == pytest.approx(-1.0, abs=1e-12)
    assert -1.0 < metrics.pearson(x, y) < -0.5


def test_constant_side_gives_nan():
    for f in (metrics.pearson, metrics.spearman, metrics.kendall_tau):
        assert math.isnan(f([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))


def test_centred_rmse_offsets_and_baseline():
    # Adding constants to either side changes nothing: the means are removed first.
    assert metrics.centred_rmse(np.add(P, 5.0), np.subtract(E, 3.0)) == pytest.approx(CRMSE_HAND, abs=1e-12)
    # A predictor equal to the experiment up to an offset has centred RMSE 0.
    assert metrics.centred_rmse(np.add(E, -7.25), E) == pytest.approx(0.0, abs=1e-12)
    # A constant predictor has p − p̄ = 0, so its centred RMSE is the series-mean RMSE, sqrt(2).
    assert metrics.centred_rmse([4.0] * 5, E) == pytest.approx(BASELINE_HAND, abs=1e-12)
    # Population standard deviation of [-8, -6]: mean -7, deviations ±1 → sqrt((1 + 1) / 2) = 1.
    assert metrics.series_mean_rmse([-8.0, -6.0]) == pytest.approx(1.0, abs=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError):
        metrics.pearson([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        metrics.kendall_tau([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        metrics.spearman([[1.0, 2.0]], [[1.0, 2.0]])


def _rows(series, exp, **predictors):
    rows = []
    for i, e in enumerate(exp):
        row = {"series": series, "ligand": "%s%d" % (series, i), "target": e}
        row.update({name: values[i] for name, values in predictors.items()})
        rows.append(row)
    return rows


def test_series_metrics_per_series_and_exclusions():
    rows = (
        # The worked example, as ΔG-like values; "heavy" is a second predictor equal to -E + 1
        # (exactly inverse: r = ρ = τ = -1) given as strings, as csv.DictReader gives them.
        _rows("A", E, model=P, heavy=[str(-e + 1.0) for e in E])
        # Two ligands: below the minimum of three, excluded whole.
        + _rows("B", [-7.0, -8.0], model=[1.0, 2.0], heavy=[1.0, 2.0])
        # Three equal targets: zero variance, excluded whole.
        + _rows("C", [-7.0, -7.0, -7.0], model=[1.0, 2.0, 3.0], heavy=[1.0, 2.0, 3.0])
        # Four ligands; "heavy" has only two values (None and '' are missing), so it alone is
        # excluded; "model" is constant, so it is excluded too; the series itself stays.
        + _rows("D", [-9.0, -8.0, -7.0, -6.0], model=[2.0, 2.0, 2.0, 2.0], heavy=[1.0, None, "", 3.0])
    )
    # A ligand without a target is ignored.
    rows.append({"series": "A", "ligand": "A-no-target", "target": "", "model": 100.0, "heavy": 100.0})
    result = metrics.series_metrics(rows, predictors=["model", "heavy"])

    assert [s.series for s in result.series] == ["A", "D"]
    a, d = result.series
    assert a.n == 5
    assert a.series_mean_rmse == pytest.approx(BASELINE_HAND, abs=1e-12)
    m = a.predictors["model"]
    assert m.n == 5
    assert m.pearson == pytest.approx(R_HAND, abs=1e-12)
    assert m.spearman == pytest.approx(RHO_HAND, abs=1e-12)
    assert m.kendall_tau == pytest.approx(TAU_HAND, abs=1e-12)
    assert m.centred_rmse == pytest.approx(CRMSE_HAND, abs=1e-12)
    assert m.series_mean_rmse == pytest.approx(BASELINE_HAND, abs=1e-12)
    h = a.predictors["heavy"]
    assert (h.pearson, h.spearman, h.kendall_tau) == pytest.approx((-1.0, -1.0, -1.0), abs=1e-12)
    # -E + 1 centred is -(E − ē), so the residual is -2(E − ē): sqrt(4 · 10 / 5) = sqrt(8).
    assert h.centred_rmse == pytest.approx(math.sqrt(8.0), abs=1e-12)

    # D: targets [-9, -8, -7, -6], mean -7.5, deviations ±0.5, ±1.5 → sqrt((2.25·2 + 0.25·2) / 4) = sqrt(1.25).
    assert d.n == 4
    assert d.series_mean_rmse == pytest.approx(math.sqrt(1.25), abs=1e-12)
    assert d.predictors == {}

    excluded = {(x.series, x.predictor): x for x in result.excluded}
    assert set(excluded) == {("B", None), ("C", None), ("D", "model"), ("D", "heavy")}
    assert excluded[("B", None)].n == 2
    assert excluded[("C", None)].n == 3
    assert excluded[("D", "heavy")].n == 2
    assert excluded[("D", "model")].n == 4

    assert result.values("model", "pearson") == pytest.approx([R_HAND], abs=1e-12)
    assert result.values("heavy", "n") == [5]


def test_series_metrics_predictor_subset_baseline():
    # Predictor "vina" missing for the last ligand: it is scored on targets [2, 1, 4, 3] only,
    # and the baseline beside it is over those four: mean 2.5, deviations [-0.5, -1.5, 1.5, 0.5],
    # Σ² = 0.25 + 2.25 + 2.25 + 0.25 = 5 → sqrt(5 / 4).
    rows = _rows("A", E, vina=[1.0, 2.0, 3.0, 4.0, None])
    result = metrics.series_metrics(rows, predictors=["vina"])
    v = result.series[0].predictors["vina"]
    assert v.n == 4
    assert v.series_mean_rmse == pytest.approx(math.sqrt(1.25), abs=1e-12)
    assert result.series[0].series_mean_rmse == pytest.approx(BASELINE_HAND, abs=1e-12)
    # vina = [1, 2, 3, 4] against [2, 1, 4, 3]: pairs (0,1) D, (2,3) D, the other 4 C: τ = (4 − 2) / 6.
    assert v.kendall_tau == pytest.approx(2.0 / 6.0, abs=1e-12)


def test_bootstrap_interval():
    values = [0.2, 0.4, 0.6, 0.8]
    mean, low, high = metrics.bootstrap_mean(values, n=4000, seed=3)
    # The mean is the plain mean (0.2 + 0.4 + 0.6 + 0.8) / 4 = 0.5; a resample's mean lies
    # between the smallest and largest value.
    assert mean == pytest.approx(0.5, abs=1e-12)
    assert 0.2 <= low <= mean <= high <= 0.8
    assert low < high
    # Reproducible with a seed.
    assert metrics.bootstrap_mean(values, n=4000, seed=3) == (mean, low, high)
    # A wider level gives an interval at least as wide.
    _, low99, high99 = metrics.bootstrap_mean(values, n=4000, seed=3, level=0.99)
    assert low99 <= low and high99 >= high


def test_bootstrap_two_values_by_hand():
    # Resampling [0, 1] twice gives the mean 0 with probability 1/4, 0.5 with 1/2 and 1 with 1/4.
    # The 2.5% and 97.5% quantiles are therefore 0 and 1; the 30% and 70% quantiles (level 0.4)
    # both fall in the middle half, at 0.5.
    assert metrics.bootstrap_mean([0.0, 1.0], n=10000, seed=1) == (0.5, 0.0, 1.0)
    assert metrics.bootstrap_mean([0.0, 1.0], n=10000, seed=1, level=0.4) == (0.5, 0.5, 0.5)
    # One value, or all equal: no spread to resample.
    assert metrics.bootstrap_mean([0.7]) == pytest.approx((0.7, 0.7, 0.7))
    assert metrics.bootstrap_mean([0.3, 0.3, 0.3], n=100) == pytest.approx((0.3, 0.3, 0.3))
