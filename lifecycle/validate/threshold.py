"""Decision-threshold analysis for binary tasks, with an optional cost matrix.

A row is predicted positive when its positive-class probability is >= the threshold.
Costs: ``fn`` is the cost of predicting negative for a positive row, ``fp`` the cost of
predicting positive for a negative row. For the German credit data with positive class
"bad", granting credit to a bad customer is a false negative (cost 5) and refusing a good
one a false positive (cost 1): ``{"fn": 5, "fp": 1}``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lifecycle.errors import InputError

THRESHOLDS: tuple[float, ...] = tuple(round(t / 100, 2) for t in range(1, 100))


@dataclass(frozen=True, kw_only=True)
class ThresholdAnalysis:
    """Precision, recall, F1 and expected cost per row at each threshold in ``thresholds``.

    ``best_threshold`` minimises the expected cost when a cost matrix was given (the lowest
    such threshold on a tie), else maximises F1; ``at_best`` holds the counts and metrics
    there. Precision is None where no row is predicted positive.
    """

    thresholds: tuple[float, ...]
    precision: tuple[float | None, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    cost: tuple[float, ...] | None
    cost_fn: float | None
    cost_fp: float | None
    criterion: str  # "cost" or "f1"
    best_threshold: float
    at_best: dict[str, float | None]


def validate_cost_matrix(cost_matrix: dict | None) -> tuple[float, float] | None:
    """``(fn, fp)`` from ``{"fn": ..., "fp": ...}``, or None when no matrix is given."""
    if cost_matrix is None:
        return None
    if not isinstance(cost_matrix, dict) or set(cost_matrix) != {"fn", "fp"}:
        raise InputError(f"The cost matrix {cost_matrix!r} must have exactly the keys 'fn' "
                         "and 'fp'.", "Write it like {'fn': 5, 'fp': 1}: fn is the cost of "
                         "predicting negative for a positive, fp the reverse.")
    values = []
    for key in ("fn", "fp"):
        value = cost_matrix[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not \
                math.isfinite(value) or value < 0:
            raise InputError(f"The {key} cost is {value!r}.",
                             "Give a non-negative number such as 5 or 1.")
        values.append(float(value))
    if not any(values):
        raise InputError("Both costs in the cost matrix are 0.",
                         "Give at least one positive cost.")
    return values[0], values[1]


def counts_at(y: np.ndarray, scores: np.ndarray,
              thresholds=THRESHOLDS) -> tuple[np.ndarray, ...]:
    """(tp, fp, fn, tn) at each threshold, predicting positive when score >= threshold."""
    positive = y == 1
    pos_sorted, neg_sorted = np.sort(scores[positive]), np.sort(scores[~positive])
    t = np.asarray(thresholds, dtype=float)
    tp = len(pos_sorted) - np.searchsorted(pos_sorted, t, side="left")
    fp = len(neg_sorted) - np.searchsorted(neg_sorted, t, side="left")
    return tp, fp, len(pos_sorted) - tp, len(neg_sorted) - fp


def analyse_thresholds(y: np.ndarray, scores: np.ndarray,
                       cost_matrix: dict | None = None) -> ThresholdAnalysis:
    costs = validate_cost_matrix(cost_matrix)
    tp, fp, fn, tn = (c.astype(float) for c in counts_at(y, scores))
    n = max(len(y), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    cost = None if costs is None else (fn * costs[0] + fp * costs[1]) / n
    best = int(np.argmin(cost)) if cost is not None else int(np.argmax(f1))
    at_best = {"tp": tp[best], "fp": fp[best], "fn": fn[best], "tn": tn[best],
               "precision": precision[best], "recall": recall[best], "f1": f1[best],
               "accuracy": (tp[best] + tn[best]) / n}
    if cost is not None:
        at_best["cost"] = cost[best]
    return ThresholdAnalysis(
        thresholds=THRESHOLDS,
        precision=tuple(None if np.isnan(v) else float(v) for v in precision),
        recall=tuple(map(float, recall)), f1=tuple(map(float, f1)),
        cost=None if cost is None else tuple(map(float, cost)),
        cost_fn=None if costs is None else costs[0], cost_fp=None if costs is None else costs[1],
        criterion="f1" if cost is None else "cost", best_threshold=THRESHOLDS[best],
        at_best={k: (None if np.isnan(v) else float(v)) for k, v in at_best.items()})
