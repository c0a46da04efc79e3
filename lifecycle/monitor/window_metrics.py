"""The numbers of one window, from its logged predictions and their joined labels.

Realized metrics are computed on the labelled rows by the Validate stage's own code
(``validate.metrics.estimate_metrics``: scikit-learn point values, seeded percentile-bootstrap
intervals) and fairness metrics by its one fairness review (``validate.fairness.review_decisions``:
the worst grouping of the project's sensitive attributes, with its seeded stratified-bootstrap
interval), so a number on the Monitor page means what it meant at validation. Estimated metrics
(binary only) come from every prediction of the window, labelled or not, by CBPE
(``monitor.estimate``). Label drift compares the window's labels with the reference
(``monitor.label_drift``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifecycle.errors import InputError
from lifecycle.monitor.estimate import ESTIMATED, estimate_binary
from lifecycle.monitor.label_drift import METRIC as LABEL_SHIFT
from lifecycle.monitor.label_drift import label_shift
from lifecycle.monitor.labels import LabelRule
from lifecycle.validate.fairness import review_decisions
from lifecycle.validate.metrics import Predictions, estimate_metrics

# Fewer labelled rows than this and a window's realized numbers are stored but never judged
# against an objective (nor label drift computed): the rule of thumb behind Fairlearn's and the
# fairness review's smallest compared group (validate.fairness_review.MIN_GROUP_SIZE is 30 too).
MIN_LABELLED_ROWS = 30
_PROBABILITY_METRICS = ("roc_auc", "average_precision", "roc_auc_ovr", "log_loss", "brier")


@dataclass(frozen=True, kw_only=True)
class Value:
    """One number of a window: ``source`` realized or estimated; ``low``/``high`` its 95% interval."""

    metric: str
    source: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    note: str = ""
    details: dict | None = None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a window's numbers are computed with."""

    rule: LabelRule
    realized: tuple[str, ...]  # performance metrics with a scikit-learn scorer
    fairness: tuple[str, ...]  # fairness objective metrics
    sensitive: tuple[str, ...]  # the project's sensitive attributes
    n_bootstrap: int
    seed: int
    reference_labels: dict[str, int] | None
    calibration_note: str  # said beside every estimate


def _probabilities(rows: pd.DataFrame, k: int) -> np.ndarray | None:
    """The n x k logged probabilities (columns p0..), None when any is missing."""
    if k == 0 or any(f"p{i}" not in rows for i in range(k)):
        return None
    matrix = rows[[f"p{i}" for i in range(k)]].to_numpy(dtype=float)
    return None if np.isnan(matrix).any() else matrix


def predictions_of(rows: pd.DataFrame, rule: LabelRule) -> tuple[Predictions, str]:
    """The labelled ``rows`` (window_rows' columns, label not null) as the Validate stage's
    ``Predictions``, and a note when the log holds no probabilities for them."""
    if rule.task == "regression":
        return Predictions(task="regression", y=rows["label"].astype(float).to_numpy(),
                           labels=pd.to_numeric(rows["predicted"], errors="coerce").to_numpy(dtype=float)), ""
    k = len(rule.classes)
    proba = _probabilities(rows, k)
    note = "" if proba is not None else "the log holds no probabilities for these rows"
    if rule.task == "binary":
        positive = rule.classes.index(rule.positive) if rule.positive in rule.classes else k - 1
        y = (rows["label"] == rule.positive).to_numpy(dtype=int)
        decided = (rows["predicted"] == rule.positive).to_numpy(dtype=int)
        p = proba[:, positive] if proba is not None else np.full(len(rows), 0.5)
        return Predictions(task="binary", y=y, labels=decided, proba=np.column_stack([1 - p, p]), ranking=p,
                           classes=(0, 1)), note
    order = sorted(range(k), key=lambda i: rule.classes[i])  # scikit-learn wants the classes sorted
    classes = tuple(rule.classes[i] for i in order)
    matrix = proba[:, order] if proba is not None else np.full((len(rows), k), 1.0 / k)
    return Predictions(task="multiclass", y=rows["label"].astype(str).to_numpy(dtype=object),
                       labels=rows["predicted"].astype(str).to_numpy(dtype=object), proba=matrix,
                       classes=classes), note


def realized(rows: pd.DataFrame, settings: Settings) -> list[Value]:
    """Performance metrics with bootstrap intervals on the labelled ``rows``."""
    if rows.empty:
        return [Value(metric=m, source="realized", value=None, low=None, high=None, n=0, note="no labelled rows")
                for m in settings.realized]
    p, missing = predictions_of(rows, settings.rule)
    names = [m for m in settings.realized if not (missing and m in _PROBABILITY_METRICS)]
    out = [Value(metric=m, source="realized", value=None, low=None, high=None, n=len(rows), note=missing)
           for m in settings.realized if m not in names]
    for name, estimate in estimate_metrics(p, names, n_bootstrap=settings.n_bootstrap, seed=settings.seed).items():
        out.append(Value(metric=name, source="realized", value=estimate.value, low=estimate.low, high=estimate.high,
                         n=estimate.n, note=estimate.note or estimate.unreliable,
                         details={"unreliable": estimate.unreliable} if estimate.unreliable else None))
    return out


def fairness(rows: pd.DataFrame, settings: Settings) -> list[Value]:
    """Each fairness objective's metric on the labelled ``rows``: the worst grouping with its interval."""
    if not settings.fairness:
        return []

    def empty(note: str) -> list[Value]:
        return [Value(metric=m, source="realized", value=None, low=None, high=None, n=len(rows), note=note)
                for m in settings.fairness]

    present = [(i, a) for i, a in enumerate(settings.sensitive) if f"s{i}" in rows and rows[f"s{i}"].notna().any()]
    if not present:
        listed = ", ".join(repr(a) for a in settings.sensitive) or "none declared"
        return empty(f"no sensitive attribute ({listed}) is in the logged inputs; send it with each request to "
                     "track fairness")
    if rows.empty:
        return empty("no labelled rows")
    p, _ = predictions_of(rows, settings.rule)
    frame = pd.DataFrame({a: rows[f"s{i}"].to_numpy(dtype=object) for i, a in present})
    try:
        report = review_decisions(settings.rule.task, p.y, p.labels, frame,
                                  classes=p.classes if settings.rule.task == "multiclass" else None,
                                  seed=settings.seed, n_bootstrap=settings.n_bootstrap)
    except InputError as error:
        return empty(error.problem)
    out = []
    for metric in settings.fairness:
        found = report.worst(metric)
        if found is None:
            out.append(Value(metric=metric, source="realized", value=None, low=None, high=None, n=len(rows),
                             note=f"no grouping has two groups of {report.min_group_size} labelled rows or more"))
            continue
        disparity, grouping = found
        out.append(Value(metric=metric, source="realized", value=disparity.value, low=disparity.low,
                         high=disparity.high, n=len(rows), note=disparity.note, details={"grouping": grouping}))
    return out


def estimated(rows: pd.DataFrame, settings: Settings) -> list[Value]:
    """CBPE of a binary model on every prediction in ``rows`` (labelled or not)."""
    rule = settings.rule
    if rule.task != "binary" or rows.empty or rule.positive not in rule.classes:
        return []
    proba = _probabilities(rows, len(rule.classes))
    if proba is None:
        return [Value(metric=m, source="estimated", value=None, low=None, high=None, n=len(rows),
                      note="the log holds no probabilities to estimate from") for m in ESTIMATED]
    positive = rule.classes.index(rule.positive)
    decided = (rows["predicted"] == rule.positive).to_numpy(dtype=int)
    values = estimate_binary(np.clip(proba[:, positive], 0.0, 1.0), decided)
    return [Value(metric=m, source="estimated", value=v, low=None, high=None, n=len(rows),
                  note="; ".join(x for x in (why, settings.calibration_note) if x))
            for m, (v, why) in values.items()]


def label_drift(counts: dict[str, int], settings: Settings) -> list[Value]:
    """The label shift of a window's labels against the reference (enough labelled rows only)."""
    labelled = sum(counts.values())
    if settings.reference_labels is None or labelled < MIN_LABELLED_ROWS:
        return []
    shift = label_shift(counts, settings.reference_labels)
    if shift is None:
        return []
    return [Value(metric=LABEL_SHIFT, source="realized", value=shift.distance, low=None, high=None, n=shift.n,
                  details={"observed": shift.observed, "reference": shift.reference, "statistic": shift.statistic,
                           "p_value": shift.p_value})]


def window_values(rows: pd.DataFrame, counts: dict[str, int], settings: Settings) -> list[Value]:
    """Every number of one window: ``rows`` are its predictions (window_rows' columns) and
    ``counts`` its labelled rows per class."""
    labelled = rows[rows["label"].notna()] if "label" in rows else rows.iloc[:0]
    return (realized(labelled, settings) + fairness(labelled, settings) + estimated(rows, settings)
            + label_drift(counts, settings))
