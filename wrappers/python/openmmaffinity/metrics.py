# SPDX-License-Identifier: MIT
"""Accuracy of predicted against experimental binding free energies, series by series.

Pure numpy (no scipy, nothing from the compiled plugin). The figures are the ones used to
judge affinity predictors within a congeneric series, where only the ranking and the spread
of the ligands matter, not an offset common to the series:

- ``pearson``, ``spearman``, ``kendall_tau``: correlation of predicted with experimental ΔG;
- ``centred_rmse``: the RMSE left after removing each side's mean, in the units of the inputs;
- ``series_mean_rmse``: the baseline that predicts every ligand at the series mean;
- ``series_metrics``: all of them, per series and per predictor, from per-ligand records;
- ``bootstrap_mean``: the mean of a per-series figure over series, with a percentile
  bootstrap interval (series resampled with replacement).

Sign convention: ΔG in kcal/mol, more negative = tighter binding. Every predictor is compared
as a ΔG, so a score where larger means tighter binding must be negated first: the "minus
heavy-atom count" baseline is the predictor value −heavy_atoms (bigger ligands predicted to
bind tighter). A good predictor then has r, ρ, τ close to +1.

Inputs are 1-d sequences of finite floats of equal length; a correlation of a constant
sequence is undefined and returned as NaN.
"""

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    "average_ranks",
    "bootstrap_mean",
    "centred_rmse",
    "kendall_tau",
    "pearson",
    "PredictorMetrics",
    "SeriesExclusion",
    "SeriesMetrics",
    "SeriesResult",
    "series_mean_rmse",
    "series_metrics",
    "spearman",
]


def _vector(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("%s must be 1-d, got shape %s" % (name, array.shape))
    if not np.all(np.isfinite(array)):
        raise ValueError("%s holds NaN or infinite values" % name)
    return array


def _pair(x, y, min_size: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    x = _vector(x, "x")
    y = _vector(y, "y")
    if x.shape != y.shape:
        raise ValueError("x and y differ in length (%d and %d)" % (x.size, y.size))
    if x.size < min_size:
        raise ValueError("need at least %d values, got %d" % (min_size, x.size))
    return x, y


def average_ranks(values) -> np.ndarray:
    """1-based ranks of ``values`` (smallest = 1); tied values share the average of the ranks
    they occupy, e.g. [10, 20, 20, 30] → [1, 2.5, 2.5, 4]."""
    x = _vector(values, "values")
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(x.size, dtype=np.float64)
    # Runs of equal values in sorted order: [start, end) each gets (start + 1 + end) / 2.
    boundaries = np.flatnonzero(np.diff(sorted_x)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [x.size]))
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = 0.5 * (start + 1 + end)
    return ranks


def pearson(x, y) -> float:
    """Pearson's correlation coefficient

        r = Σ (x_i − x̄)(y_i − ȳ) / sqrt(Σ (x_i − x̄)² · Σ (y_i − ȳ)²).

    NaN when either side is constant."""
    x, y = _pair(x, y)
    dx = x - x.mean()
    dy = y - y.mean()
    denominator = np.sqrt(np.dot(dx, dx) * np.dot(dy, dy))
    if denominator == 0.0:
        return float("nan")
    # Rounding can take |r| a hair past 1 for exactly (anti)correlated data.
    return float(np.clip(np.dot(dx, dy) / denominator, -1.0, 1.0))


def spearman(x, y) -> float:
    """Spearman's rank correlation ρ: Pearson's r of the average ranks (``average_ranks``)
    of x and of y, so ties are handled by giving tied values their mean rank.
    NaN when either side is constant."""
    x, y = _pair(x, y)
    return pearson(average_ranks(x), average_ranks(y))


def kendall_tau(x, y) -> float:
    """Kendall's τ_b, which accounts for ties:

        τ_b = (n_c − n_d) / sqrt((n_0 − n_x) (n_0 − n_y)),

    over the n_0 = n(n−1)/2 pairs i < j: n_c concordant pairs (sign(x_i − x_j) =
    sign(y_i − y_j) ≠ 0), n_d discordant ones (opposite nonzero signs), n_x the pairs tied in
    x (Σ over groups of tied x of t(t−1)/2), n_y those tied in y. A pair tied in x or y is
    neither concordant nor discordant. NaN when either side is constant. O(n²) time, O(n)
    memory."""
    x, y = _pair(x, y)
    n = x.size
    score = 0.0  # n_c − n_d
    tied_x = 0
    tied_y = 0
    for i in range(n - 1):
        sx = np.sign(x[i + 1:] - x[i])
        sy = np.sign(y[i + 1:] - y[i])
        score += float(np.dot(sx, sy))
        tied_x += int(np.count_nonzero(sx == 0))
        tied_y += int(np.count_nonzero(sy == 0))
    pairs = n * (n - 1) // 2
    denominator = np.sqrt(float(pairs - tied_x) * float(pairs - tied_y))
    if denominator == 0.0:
        return float("nan")
    return float(np.clip(score / denominator, -1.0, 1.0))


def centred_rmse(pred, exp) -> float:
    """RMSE after removing each side's mean (the series offset):

        cRMSE = sqrt( (1/n) Σ ((p_i − p̄) − (e_i − ē))² ),

    in the units of the inputs (kcal/mol for ΔG). Unchanged by adding a constant to either
    side; a constant predictor gives exactly ``series_mean_rmse(exp)``."""
    p, e = _pair(pred, exp, min_size=1)
    d = (p - p.mean()) - (e - e.mean())
    return float(np.sqrt(np.mean(d * d)))


def series_mean_rmse(exp) -> float:
    """The baseline: the RMSE of predicting every ligand at the series mean ē,

        sqrt( (1/n) Σ (e_i − ē)² ),

    i.e. the population standard deviation of the experimental values. A predictor whose
    centred RMSE is not below it has told nothing about the spread within the series."""
    e = _vector(exp, "exp")
    if e.size < 1:
        raise ValueError("need at least 1 value")
    d = e - e.mean()
    return float(np.sqrt(np.mean(d * d)))


@dataclass
class PredictorMetrics:
    """One predictor on one series, over the ligands that have both its value and a target."""

    n: int
    pearson: float
    spearman: float
    kendall_tau: float
    centred_rmse: float
    series_mean_rmse: float
    """The baseline over the same ligands, to compare ``centred_rmse`` with."""


@dataclass
class SeriesResult:
    """One series: its ligands with a target, the baseline over them, and each predictor that
    had enough values (those that had not are in ``SeriesMetrics.excluded``)."""

    series: str
    n: int
    series_mean_rmse: float
    predictors: Dict[str, PredictorMetrics] = field(default_factory=dict)


@dataclass
class SeriesExclusion:
    """A series (``predictor`` None) or one predictor of a series left out, and why."""

    series: str
    predictor: Optional[str]
    n: int
    reason: str


@dataclass
class SeriesMetrics:
    """What ``series_metrics`` returns: the series evaluated (sorted by name) and those left
    out."""

    series: List[SeriesResult]
    excluded: List[SeriesExclusion]

    def values(self, predictor: str, metric: str) -> List[float]:
        """The per-series values of one metric ('n', 'pearson', 'spearman', 'kendall_tau',
        'centred_rmse', 'series_mean_rmse') of one predictor, over the series where that
        predictor was evaluated, in the order of ``series``."""
        return [getattr(s.predictors[predictor], metric) for s in self.series if predictor in s.predictors]


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def series_metrics(
    rows: Iterable[Mapping],
    predictors: Sequence[str],
    series_key: str = "series",
    target_key: str = "target",
    min_size: int = 3,
) -> SeriesMetrics:
    """Per-series accuracy of one or more predictors.

    ``rows`` are per-ligand records (mappings, e.g. rows of ``csv.DictReader``) holding the
    series name under ``series_key``, the experimental ΔG under ``target_key`` and each
    predictor's value, as a ΔG (see the module's sign convention), under its name in
    ``predictors``. A value that is None, an empty string or NaN is missing; a ligand without
    a target is ignored, one without a predictor value is left out of that predictor only.

    For each series with at least ``min_size`` targets that are not all equal: N, the
    series-mean RMSE, and per predictor (over the ligands that have its value): N, Pearson r,
    Spearman ρ, Kendall τ_b, the centred RMSE and the series-mean RMSE over those same ligands.
    A series with fewer than ``min_size`` targets, or with zero variance, is excluded whole;
    a predictor with fewer than ``min_size`` values in a series, or constant there (its
    correlations undefined), or whose ligands' targets are all equal, is excluded for that
    series; each exclusion is reported in ``excluded`` with the reason."""
    if min_size < 2:
        raise ValueError("min_size must be at least 2")
    predictors = list(predictors)
    if not predictors:
        raise ValueError("no predictors given")
    grouped: Dict[str, List[Mapping]] = {}
    for row in rows:
        if _missing(row.get(target_key)):
            continue
        grouped.setdefault(str(row[series_key]), []).append(row)

    results: List[SeriesResult] = []
    excluded: List[SeriesExclusion] = []
    for name in sorted(grouped):
        members = grouped[name]
        exp = np.array([float(r[target_key]) for r in members])
        if exp.size < min_size:
            excluded.append(SeriesExclusion(name, None, int(exp.size), "fewer than %d ligands" % min_size))
            continue
        if np.ptp(exp) == 0.0:
            excluded.append(SeriesExclusion(name, None, int(exp.size), "all experimental values equal"))
            continue
        result = SeriesResult(name, int(exp.size), series_mean_rmse(exp))
        for predictor in predictors:
            kept = [r for r in members if not _missing(r.get(predictor))]
            n = len(kept)
            if n < min_size:
                excluded.append(
                    SeriesExclusion(name, predictor, n, "fewer than %d ligands with a value" % min_size))
                continue
            p = np.array([float(r[predictor]) for r in kept])
            e = np.array([float(r[target_key]) for r in kept])
            if np.ptp(p) == 0.0:
                excluded.append(SeriesExclusion(name, predictor, n, "predictor constant over the series"))
                continue
            if np.ptp(e) == 0.0:
                excluded.append(SeriesExclusion(name, predictor, n, "experimental values of its ligands all equal"))
                continue
            result.predictors[predictor] = PredictorMetrics(
                n=n,
                pearson=pearson(p, e),
                spearman=spearman(p, e),
                kendall_tau=kendall_tau(p, e),
                centred_rmse=centred_rmse(p, e),
                series_mean_rmse=series_mean_rmse(e),
            )
        results.append(result)
    return SeriesMetrics(results, excluded)


def bootstrap_mean(values, n: int = 10000, seed: int = 0, level: float = 0.95) -> Tuple[float, float, float]:
    """The mean of per-series values and its percentile bootstrap interval: (mean, low, high).

    ``n`` resamples of the k values, drawn with replacement (numpy's default_rng(seed), so a
    seed gives the same interval every time); the mean m_b of each; low and high are the
    (1 − level)/2 and (1 + level)/2 quantiles of the m_b (numpy's linear interpolation). The
    unit resampled is the series, as the series are the independent samples of the benchmark.
    With one value the interval is that value."""
    x = _vector(values, "values")
    if x.size == 0:
        raise ValueError("no values")
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    rng = np.random.default_rng(seed)
    means = np.empty(n, dtype=np.float64)
    chunk = max(1, 1_000_000 // x.size)  # bounded memory: about 8 MB of indices at a time
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        means[start:stop] = x[rng.integers(0, x.size, size=(stop - start, x.size))].mean(axis=1)
    low, high = np.quantile(means, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(x.mean()), float(low), float(high)
