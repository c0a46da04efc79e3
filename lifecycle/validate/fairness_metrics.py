"""The fairness numbers stage-1 objectives ask for, and prediction latency.

Fairness is computed with Fairlearn's own functions on the model's decisions for the test
rows, once per sensitive attribute; judging takes the worst attribute. (The fuller
Fairlearn review with mitigation is a later panel.)
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn import metrics as flm
from sklearn.metrics import mean_absolute_error

from lifecycle.errors import InputError
from lifecycle.problem.objectives import CATALOGUE
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


def _nan_to_none(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _one_attribute(task: str, p: Predictions, decisions: np.ndarray,
                   groups: np.ndarray) -> tuple[dict[str, float | None], str]:
    values: dict[str, float | None] = {}
    kw = {"sensitive_features": groups}
    if task == "binary":
        y, d = p.y.astype(int), decisions.astype(int)
        for name, function in [("demographic_parity_difference", flm.demographic_parity_difference),
                               ("demographic_parity_ratio", flm.demographic_parity_ratio),
                               ("equalized_odds_difference", flm.equalized_odds_difference),
                               ("equalized_odds_ratio", flm.equalized_odds_ratio)]:
            values[name] = _nan_to_none(function(y, d, **kw))
        return values, ""
    if task == "multiclass":
        differences, ratios = [], []
        for c in p.classes:  # one-vs-rest: the worst class
            y, d = (p.y == c).astype(int), (decisions == c).astype(int)
            differences.append(flm.demographic_parity_difference(y, d, **kw))
            ratios.append(flm.demographic_parity_ratio(y, d, **kw))
        values["demographic_parity_difference"] = _nan_to_none(np.nanmax(differences))
        values["demographic_parity_ratio"] = _nan_to_none(np.nanmin(ratios))
        return values, "Demographic parity is the worst over classes, each one-vs-rest."
    frame = flm.MetricFrame(metrics=mean_absolute_error, y_true=p.y, y_pred=p.labels, **kw)
    values["group_mae_difference"] = _nan_to_none(frame.difference(method="between_groups"))
    return values, ""


def fairness(task: str, p: Predictions, decisions: np.ndarray,
             sensitive: dict[str, pd.Series] | None) -> tuple[FairnessResult, ...]:
    """One :class:`FairnessResult` per sensitive attribute (values aligned to the test rows)."""
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metric_values, note = _one_attribute(task, p, decisions, groups)
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
