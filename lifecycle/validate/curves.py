"""Diagnostic curves of a validation report: confusion matrix, ROC, precision–recall,
calibration, per-class metrics and residuals — each from scikit-learn on the predictions."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from lifecycle.validate.metrics import Predictions

MAX_CURVE_POINTS = 1000
RESIDUAL_SAMPLE = 2000
RESIDUAL_BINS = 30
CALIBRATION_BINS = 10


def finite(value) -> float | None:
    """A float, or None for NaN, ±inf and None (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def floats(values) -> tuple[float | None, ...]:
    return tuple(finite(v) for v in np.asarray(values, dtype=float).tolist())


@dataclass(frozen=True, kw_only=True)
class ConfusionMatrix:
    """Counts with true classes as rows and predicted classes as columns, in ``labels``
    order; ``threshold`` is the decision threshold for binary tasks (None: ``predict``)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    threshold: float | None = None


@dataclass(frozen=True, kw_only=True)
class Curve:
    """Points of an ROC (x = false positive rate, y = true positive rate) or precision–recall
    curve (x = recall, y = precision) and the score threshold at each point."""

    x: tuple[float | None, ...]
    y: tuple[float | None, ...]
    thresholds: tuple[float | None, ...]


@dataclass(frozen=True, kw_only=True)
class CalibrationCurve:
    """Mean predicted probability and observed positive share per non-empty bin."""

    predicted: tuple[float | None, ...]
    observed: tuple[float | None, ...]
    counts: tuple[int, ...]
    bins: int = CALIBRATION_BINS


@dataclass(frozen=True, kw_only=True)
class ClassMetrics:
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


@dataclass(frozen=True, kw_only=True)
class Residuals:
    """A seeded sample of (actual, predicted) points and the histogram of every residual
    (predicted − actual)."""

    actual: tuple[float | None, ...]
    predicted: tuple[float | None, ...]
    histogram_edges: tuple[float | None, ...]
    histogram_counts: tuple[int, ...]
    rows: int


def _thin(*arrays: np.ndarray) -> list[np.ndarray]:
    n = len(arrays[0])
    if n <= MAX_CURVE_POINTS:
        return list(arrays)
    keep = np.unique(np.linspace(0, n - 1, MAX_CURVE_POINTS).round().astype(int))
    return [a[keep] for a in arrays]


def class_label(value, task: str) -> str:
    if task == "binary":
        return {0: "negative (0)", 1: "positive (1)"}.get(int(value), str(value))
    return str(value)


def confusion(y: np.ndarray, predicted: np.ndarray, classes: tuple, task: str,
              threshold: float | None = None) -> ConfusionMatrix:
    counts = skm.confusion_matrix(y, predicted, labels=list(classes))
    return ConfusionMatrix(labels=tuple(class_label(c, task) for c in classes),
                           counts=tuple(tuple(int(v) for v in row) for row in counts),
                           threshold=threshold)


def roc(p: Predictions) -> Curve | None:
    if len(np.unique(p.y)) < 2:
        return None
    fpr, tpr, thresholds = skm.roc_curve(p.y, p.positive)
    fpr, tpr, thresholds = _thin(fpr, tpr, thresholds)
    return Curve(x=floats(fpr), y=floats(tpr), thresholds=floats(thresholds))


def precision_recall(p: Predictions) -> Curve | None:
    if not (p.y == 1).any():
        return None
    precision, recall, thresholds = skm.precision_recall_curve(p.y, p.positive)
    thresholds = np.r_[thresholds, np.nan]  # the last point (recall 0) has no threshold
    recall, precision, thresholds = _thin(recall, precision, thresholds)
    return Curve(x=floats(recall), y=floats(precision), thresholds=floats(thresholds))


def calibration(p: Predictions) -> CalibrationCurve | None:
    if len(np.unique(p.y)) < 2:
        return None
    scores = p.positive
    observed, predicted = calibration_curve(p.y, scores, n_bins=CALIBRATION_BINS,
                                            strategy="uniform")
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    totals = np.bincount(np.searchsorted(edges[1:-1], scores), minlength=CALIBRATION_BINS)
    return CalibrationCurve(predicted=floats(predicted), observed=floats(observed),
                            counts=tuple(int(c) for c in totals[totals > 0]))


def per_class(p: Predictions) -> tuple[ClassMetrics, ...]:
    labels = list(p.classes)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        p.y, p.labels, labels=labels, zero_division=0.0)
    return tuple(ClassMetrics(label=str(c), precision=finite(pr), recall=finite(rc),
                              f1=finite(f), support=int(s))
                 for c, pr, rc, f, s in zip(labels, precision, recall, f1, support))


def residuals(p: Predictions, seed: int) -> Residuals:
    n = len(p)
    rows = np.arange(n)
    if n > RESIDUAL_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(n, RESIDUAL_SAMPLE, replace=False))
    errors = p.labels - p.y
    finite_errors = errors[np.isfinite(errors)]
    counts, edges = (np.histogram(finite_errors, bins=RESIDUAL_BINS) if finite_errors.size
                     else (np.array([], dtype=int), np.array([])))
    return Residuals(actual=floats(p.y[rows]), predicted=floats(p.labels[rows]),
                     histogram_edges=floats(edges),
                     histogram_counts=tuple(int(c) for c in counts), rows=n)
