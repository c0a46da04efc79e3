"""The fairness numbers stage-1 objectives ask for, and prediction latency.

The per-attribute values are the legacy ``ValidationReport.fairness`` field: every group
compared, computed through the fairness review's counts (equal to Fairlearn's own functions,
checked in the tests). Fairness objectives are judged on the review itself
(:mod:`lifecycle.validate.fairness`); these values are their fallback when it cannot be
computed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifecycle.errors import InputError
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.validate.fairness_review import all_groups
from lifecycle.validate.groups import group_labels
from lifecycle.validate.metrics import Predictions

LATENCY_ROWS = 100
LATENCY_BUDGET_SECONDS = 3.0  # stop timing early (after LATENCY_MIN_ROWS) past this
LATENCY_MIN_ROWS = 10


@dataclass(frozen=True, kw_only=True)
class FairnessResult:
    """Fairness metrics for one sensitive attribute; ``groups`` maps group -> test rows."""

    attribute: str
    groups: dict[str, int]
    values: dict[str, float | None]
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Latency:
    """Single-row prediction time over ``rows_timed`` test rows (up to 100; fewer when a
    slow model used up the time budget) and batch throughput of ``predict``."""

    method: str  # "predict_proba" or "predict"
    rows_timed: int
    p50_ms: float | None
    p95_ms: float | None
    batch_rows: int
    batch_rows_per_second: float | None


def fairness_metrics(task: str) -> list[str]:
    return [m.name for m in CATALOGUE.values() if m.kind == "fairness" and task in m.tasks]


def _groups(values: pd.Series | np.ndarray, n: int, name: str) -> np.ndarray:
    if len(values) != n:
        raise InputError(f"Sensitive attribute {name!r} has {len(values)} values for {n} "
                         "test rows.", "Pass the sensitive values of exactly the test rows, "
                         "in the same order.")
    return group_labels(values)


def fairness(task: str, p: Predictions, decisions: np.ndarray,
             sensitive: dict[str, pd.Series] | None) -> tuple[FairnessResult, ...]:
    """One :class:`FairnessResult` per sensitive attribute (values aligned to the test rows):
    every group compared, no resamples — the values of Fairlearn's ``demographic_parity_*`` and
    ``equalized_odds_*`` functions (multiclass: the worst class one-vs-rest; regression: the MAE
    gap), computed through the fairness review's own counts
    (:func:`~lifecycle.validate.fairness_review.all_groups`). Raises InputError when an
    attribute's values do not match the test rows in number."""
    if task == "binary":
        y_true, y_pred = p.y.astype(int), np.asarray(decisions).astype(int)
    elif task == "multiclass":
        y_true, y_pred = p.y, np.asarray(decisions)
    else:
        y_true, y_pred = p.y, p.labels
    results = []
    for name, values in (sensitive or {}).items():
        groups = _groups(values, len(p), name)
        labels, counts = np.unique(groups, return_counts=True)
        sizes = {str(g): int(c) for g, c in zip(labels, counts)}
        if len(sizes) < 2:
            results.append(FairnessResult(attribute=name, groups=sizes,
                                          values={m: None for m in fairness_metrics(task)},
                                          note=f"Only one group of {name!r} is in the test "
                                               "rows; fairness needs two or more."))
            continue
        try:
            grouping = all_groups(task, y_true, y_pred, pd.DataFrame({name: groups})).groupings[0]
        except InputError as error:
            results.append(FairnessResult(attribute=name, groups=sizes,
                                          values={m: None for m in fairness_metrics(task)},
                                          note=error.problem))
            continue
        metric_values = {m: grouping.disparity(m).value for m in fairness_metrics(task)}
        note = ("Demographic parity is the worst over classes, each one-vs-rest."
                if task == "multiclass" else "")
        undefined = [m for m, v in metric_values.items() if v is None]
        if undefined:
            note = (note + f" {', '.join(undefined)} undefined: a group lacks positive or "
                           "negative rows or has no selected rows.").strip()
        results.append(FairnessResult(attribute=name, groups=sizes, values=metric_values,
                                      note=note))
    return tuple(results)


def worst(results: tuple[FairnessResult, ...], metric: str) -> tuple[float | None, str]:
    """The worst value of ``metric`` over attributes and the attribute it came from, or
    (None, why not)."""
    if not results:
        return None, "No sensitive attribute values were given for the test rows."
    known = [(r.values.get(metric), r.attribute) for r in results]
    known = [(v, a) for v, a in known if v is not None]
    if not known:
        notes = "; ".join(f"{r.attribute}: {r.note}" for r in results if r.note)
        return None, f"{metric} could not be computed for any sensitive attribute. {notes}".strip()
    pick = min if CATALOGUE[metric].higher_is_better else max
    return pick(known, key=lambda item: item[0])


def measure_latency(pipeline, task: str, X: pd.DataFrame, *, batch_seconds: float,
                    rows: int = LATENCY_ROWS,
                    budget_seconds: float = LATENCY_BUDGET_SECONDS) -> Latency:
    method = "predict" if task == "regression" else "predict_proba"
    predict = getattr(pipeline, method)
    times: list[float] = []
    began = time.perf_counter()
    if rows and len(X):
        predict(X.iloc[[0]])  # warm-up: first-call caches are not serving latency
        for i in range(min(rows, len(X))):
            row = X.iloc[[i]]
            start = time.perf_counter()
            predict(row)
            times.append((time.perf_counter() - start) * 1000)
            if len(times) >= LATENCY_MIN_ROWS and time.perf_counter() - began > budget_seconds:
                break
    timed = len(times)
    p50, p95 = (np.percentile(times, [50, 95]).tolist() if times else (None, None))
    return Latency(method=method, rows_timed=timed, p50_ms=p50, p95_ms=p95, batch_rows=len(X),
                   batch_rows_per_second=(len(X) / batch_seconds if batch_seconds > 0
                                          and len(X) else None))
