"""The drift statistics of one feature in one window against its reference.

Numeric features: Kolmogorov–Smirnov (``D`` and its two-sided p-value), Wasserstein-1 (raw, and
normalised by the reference's standard deviation: the effect size), PSI on reference-quantile
bins. Categorical features: chi-square on the 2 × k table of counts (``chi2_contingency``),
Jensen–Shannon distance (base 2, in [0, 1]: the effect size), PSI on the categories.

Sources: scipy computes what it can (``ks_2samp`` for small exact samples, the ``kstwo``
distribution for large ones, ``wasserstein_distance``, ``chi2_contingency``,
``spatial.distance.jensenshannon``, ``special.rel_entr``). KS p-values follow ``ks_2samp``'s
``method="auto"``: exact when both samples have at most 10,000 values, else Smirnov's
asymptotic ``kstwo.sf(D, round(n·m/(n+m)))``. PSI = Σ (p − q) ln(p / q) with an empty bin's
share taken as 0.0001 (the convention Evidently and most PSI tables use).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from lifecycle.monitor.drift_grid import Distribution

KS_EXACT_MAX = 10_000  # scipy's ks_2samp(method="auto") is exact up to this many values per sample
PSI_FLOOR = 1e-4  # the share an empty bin is given in PSI
PSI_BINS = 10


def ks_p_value(d: float, n_reference: int, n_current: int) -> float:
    """Two-sided asymptotic p-value of KS ``d`` (``ks_2samp``'s ``method="asymp"``)."""
    m, n = sorted([float(n_reference), float(n_current)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))


def ks_exact(reference: Distribution, current: Distribution) -> tuple[float, float]:
    """KS ``D`` and p-value of two samples known value by value (``ks_2samp``'s values)."""
    if max(reference.n, current.n) <= KS_EXACT_MAX:
        result = stats.ks_2samp(reference.sample(), current.sample(), method="auto")
        return float(result.statistic), float(result.pvalue)
    pooled = np.union1d(reference.values, current.values)
    d = float(np.max(np.abs(reference.cdf(pooled) - current.cdf(pooled))))
    return d, ks_p_value(d, reference.n, current.n)


def wasserstein_exact(reference: Distribution, current: Distribution) -> float:
    """Wasserstein-1 distance of two samples known value by value."""
    return float(stats.wasserstein_distance(reference.values, current.values, reference.counts, current.counts))


def normalised(distance: float, reference_std: float, reference_mean: float) -> float:
    """A Wasserstein distance in units of the reference's standard deviation (of ``|mean|``, or
    of 1, when the reference is constant)."""
    scale = reference_std if reference_std > 0 else (abs(reference_mean) or 1.0)
    return float(distance / scale)


def psi(reference_counts, current_counts) -> float:
    """Population stability index of two count vectors over the same bins."""
    p = np.asarray(reference_counts, dtype=float)
    q = np.asarray(current_counts, dtype=float)
    p, q = p / p.sum(), q / q.sum()
    p, q = np.where(p == 0, PSI_FLOOR, p), np.where(q == 0, PSI_FLOOR, q)
    return float(np.sum(rel_entr(p, q) + rel_entr(q, p)))


@dataclass(frozen=True, kw_only=True)
class CategoricalResult:
    chi2: float
    chi2_p: float
    chi2_dof: int
    jensen_shannon: float
    psi: float
    unseen: int  # current values in categories the reference never had


def categorical(reference: Mapping[str, int], current: Mapping[str, int]) -> CategoricalResult:
    """Chi-square, Jensen–Shannon distance and PSI of category counts (both non-empty)."""
    categories = list(reference) + [c for c in current if c not in reference]
    r = np.array([reference.get(c, 0) for c in categories], dtype=float)
    c = np.array([current.get(k, 0) for k in categories], dtype=float)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    if len(r) < 2:  # one category on both sides: nothing can differ
        chi2, p_value, dof = 0.0, 1.0, 0
    else:
        chi2, p_value, dof, _ = stats.chi2_contingency(np.vstack([r, c]))
    distance = float(jensenshannon(r / r.sum(), c / c.sum(), base=2))
    return CategoricalResult(chi2=float(chi2), chi2_p=float(p_value), chi2_dof=int(dof),
                             jensen_shannon=0.0 if np.isnan(distance) else distance, psi=psi(r, c),
                             unseen=int(c[r == 0].sum()))
