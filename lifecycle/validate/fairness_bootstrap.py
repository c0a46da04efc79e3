"""Group metrics and disparities from per-group counts, for the point value and every
bootstrap resample at once.

Fairlearn computes a disparity by grouping rows and calling a metric per group; on 30,000
rows that takes about half a second per call here, far too slow to repeat for hundreds of
resamples. Every metric the fairness review shows is a function of a few per-group counts
(true class × decision cells, or error sums for regression), so each resample is reduced to
those counts with one ``np.bincount`` and the metrics follow in array arithmetic. The
conventions are Fairlearn's: a true or false positive rate with an empty denominator is 0
(scikit-learn's normalised confusion matrix), a ratio is smallest over largest and undefined
when the largest is 0, and the equalized odds ratio is Python's ``min`` of the two ratios in
Fairlearn's order. The tests check every value against Fairlearn on the same rows.

Resampling is stratified: a resample draws rows with replacement *within* each stratum (the
intersectional group of every chosen attribute), so each group keeps its observed size. A
group therefore never vanishes from a resample, and the interval reflects the noise of each
group's rates rather than of how many rows each group happened to get.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np

CONFIDENCE = 0.95
_CELLS_PER_CHUNK = 4_000_000  # resampled row indices held at once (32 MB)


def stratified_resamples(strata: np.ndarray, n_bootstrap: int, seed: int) -> Iterator[np.ndarray]:
    """``(chunk, n)`` arrays of row indices, the same for the same seed; column ``j`` of every
    resample is a row drawn from the stratum of row ``j``."""
    strata = np.asarray(strata)
    n = len(strata)
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    done = 0
    while done < n_bootstrap:
        size = min(chunk, n_bootstrap - done)
        rows = np.empty((size, n), dtype=np.int64)
        for member_rows in members:
            rows[:, member_rows] = member_rows[rng.integers(0, len(member_rows), size=(size, len(member_rows)))]
        yield rows
        done += size


def cell_counts(strata: np.ndarray, cells: np.ndarray, n_strata: int, n_cells: int,
                rows: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
    """Per stratum and cell, the number of rows (or the sum of ``weights``): shape
    ``(n_strata, n_cells)`` for all rows, ``(b, n_strata, n_cells)`` for ``b`` resamples of
    row indices ``rows``."""
    code = np.asarray(strata, dtype=np.int64) * n_cells + np.asarray(cells, dtype=np.int64)
    size = n_strata * n_cells
    if rows is None:
        return np.bincount(code, weights=weights, minlength=size).reshape(n_strata, n_cells)
    b = rows.shape[0]
    keys = code[rows]
    keys += (np.arange(b, dtype=np.int64) * size)[:, None]
    picked = None if weights is None else np.asarray(weights, dtype=float)[rows].ravel()
    return np.bincount(keys.ravel(), weights=picked, minlength=b * size).reshape(b, n_strata, n_cells)


def to_groups(counts: np.ndarray, group_of_stratum: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum stratum counts ``(..., n_strata, k)`` into the groups of one grouping."""
    membership = np.zeros((len(group_of_stratum), n_groups))
    membership[np.arange(len(group_of_stratum)), group_of_stratum] = 1.0
    return np.einsum("...sk,sg->...gk", counts, membership)


def _rate(numerator, denominator, empty=0.0):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), empty)


# ----------------------------------------------------------------------------- group metrics

def binary_metrics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """From ``(..., groups, 4)`` counts of (y, decision) cells 00, 01, 10, 11."""
    tn, fp, fn, tp = (counts[..., i] for i in range(4))
    n = tn + fp + fn + tp
    return {"count": n, "selection_rate": _rate(fp + tp, n, np.nan),
            "true_positive_rate": _rate(tp, tp + fn), "false_positive_rate": _rate(fp, fp + tn),
            "precision": _rate(tp, tp + fp, np.nan), "accuracy": _rate(tn + tp, n, np.nan)}


def multiclass_metrics(counts: np.ndarray, classes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """From ``(..., groups, k*k)`` counts of (true class, decided class) cells."""
    k = len(classes)
    matrix = counts.reshape(*counts.shape[:-1], k, k)
    n = matrix.sum(axis=(-2, -1))
    values = {"count": n, "accuracy": _rate(np.trace(matrix, axis1=-2, axis2=-1), n, np.nan)}
    for c, name in enumerate(classes):
        values[f"selection_rate:{name}"] = _rate(matrix[..., :, c].sum(axis=-1), n, np.nan)
    return values


def regression_metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
    """From ``(..., groups, 3)`` sums of 1, |error| and error² per group."""
    n = sums[..., 0]
    return {"count": n, "mae": _rate(sums[..., 1], n, np.nan),
            "rmse": np.sqrt(_rate(sums[..., 2], n, np.nan))}


# ----------------------------------------------------------------------------- disparities

def _spread(values: np.ndarray, compared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest minus smallest, and smallest over largest (undefined when the largest is 0),
    over the compared groups (last axis)."""
    chosen = values[..., compared]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices stay NaN
        high, low = np.nanmax(chosen, axis=-1), np.nanmin(chosen, axis=-1)
    return high - low, _rate(low, high, np.nan)


def _python_min(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``min([first, second])`` element-wise as Python computes it, as Fairlearn's
    equalized_odds_ratio does: NaN first stays NaN, NaN second is skipped."""
    return np.where(np.isnan(first), np.nan, np.where(second < first, second, first))


def _binary_disparities(tp, fp, fn, tn, compared) -> dict[str, np.ndarray]:
    n = tn + fp + fn + tp
    dp_difference, dp_ratio = _spread(_rate(fp + tp, n, np.nan), compared)
    tpr_difference, tpr_ratio = _spread(_rate(tp, tp + fn), compared)
    fpr_difference, fpr_ratio = _spread(_rate(fp, fp + tn), compared)
    return {"demographic_parity_difference": dp_difference, "demographic_parity_ratio": dp_ratio,
            "equalized_odds_difference": np.maximum(tpr_difference, fpr_difference),
            "equalized_odds_ratio": _python_min(tpr_ratio, fpr_ratio)}


def binary_disparities(counts: np.ndarray, compared: np.ndarray) -> dict[str, np.ndarray]:
    tn, fp, fn, tp = (counts[..., i] for i in range(4))
    return _binary_disparities(tp, fp, fn, tn, compared)


def multiclass_disparities(counts: np.ndarray, k: int, compared: np.ndarray) -> dict[str, np.ndarray]:
    """Each class one-vs-rest as a binary outcome; the worst class for each disparity."""
    matrix = counts.reshape(*counts.shape[:-1], k, k)
    n = matrix.sum(axis=(-2, -1))
    per_class = []
    for c in range(k):
        tp = matrix[..., c, c]
        predicted, actual = matrix[..., :, c].sum(axis=-1), matrix[..., c, :].sum(axis=-1)
        fp, fn = predicted - tp, actual - tp
        per_class.append(_binary_disparities(tp, fp, fn, n - tp - fp - fn, compared))
    worst = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in per_class[0]:
            stacked = np.stack([values[name] for values in per_class])
            worst[name] = np.nanmin(stacked, axis=0) if name.endswith("ratio") else np.nanmax(stacked, axis=0)
    return worst


def regression_disparities(sums: np.ndarray, compared: np.ndarray) -> dict[str, np.ndarray]:
    values = regression_metrics(sums)
    mae_difference, mae_ratio = _spread(values["mae"], compared)
    rmse_difference, rmse_ratio = _spread(values["rmse"], compared)
    return {"group_mae_difference": mae_difference, "group_mae_ratio": mae_ratio,
            "group_rmse_difference": rmse_difference, "group_rmse_ratio": rmse_ratio}


def percentile_interval(replicates: np.ndarray,
                        confidence: float = CONFIDENCE) -> tuple[float | None, float | None, int]:
    """The percentile interval of the defined (finite) replicates, and how many there were."""
    defined = replicates[np.isfinite(replicates)]
    if len(defined) == 0:
        return None, None, 0
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high), int(len(defined))
