"""Held-out metrics and their bootstrap intervals.

The model predicts the test rows once (:func:`predict_all`); every point estimate is then a
scikit-learn metric function on those predictions, called the way the scorer named in
:data:`lifecycle.problem.metrics.SCORERS` calls it. Intervals come from a seeded percentile bootstrap
over test rows: the same resamples serve every metric, and the common metrics are evaluated
for all resamples at once from per-row quantities (a resample is a row-count weight vector),
checked against scikit-learn on individual resamples in the tests.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from sklearn import metrics as skm

from lifecycle.errors import InputError
from lifecycle.problem.metrics import SCORERS
from lifecycle.problem.objectives import CATALOGUE

CONFIDENCE = 0.95
_CELLS_PER_CHUNK = 1_000_000  # resample matrix entries held at once
MIN_CLASS_ROWS = 10  # an interval resting on fewer cases of a class (or predicted positives) is unreliable
# Metrics that average within a class (or over predicted positives): too few cases of a class make
# their intervals unreliable. Row averages (accuracy, log loss, Brier) are left out.
_CLASS_METRICS = ("balanced_accuracy", "f1_macro", "roc_auc_ovr", "roc_auc", "average_precision",
                  "precision", "recall", "f1")


@dataclass(frozen=True, kw_only=True)
class MetricEstimate:
    """A metric on the test rows with its 95% percentile-bootstrap interval.

    ``value`` is None when the metric cannot be computed on these rows (0/0, one class
    present); ``note`` says why. ``unreliable`` says why the interval cannot be trusted when it
    rests on fewer than ``MIN_CLASS_ROWS`` cases of a class, with the count; empty otherwise.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    note: str = ""
    unreliable: str = ""


@dataclass(frozen=True, kw_only=True, eq=False)
class Predictions:
    """What the model said about some rows: labels from ``predict``, class probabilities
    (columns in ``classes`` order), the binary ranking score the ROC AUC scorer uses
    (``decision_function`` when the model has one, else the positive-class probability)
    and, for regression, the predicted values (also in ``labels``)."""

    task: str
    y: np.ndarray
    labels: np.ndarray
    proba: np.ndarray | None = None
    ranking: np.ndarray | None = None
    classes: tuple = ()

    @property
    def positive(self) -> np.ndarray:
        """Probability of the positive class (binary) — the column of class 1."""
        return self.proba[:, list(self.classes).index(1)]

    def take(self, rows) -> Predictions:
        pick = (lambda a: None if a is None else a[rows])
        return replace(self, y=self.y[rows], labels=self.labels[rows], proba=pick(self.proba),
                       ranking=pick(self.ranking))

    def __len__(self) -> int:
        return len(self.y)


def metric_names(task: str) -> list[str]:
    """Every performance metric with a scikit-learn scorer that applies to ``task``."""
    return [m for m in SCORERS if task in CATALOGUE[m].tasks]


def predict_all(pipeline, task: str, X, y) -> tuple[Predictions, float]:
    """Predict ``X`` once; returns the predictions and the seconds the batch ``predict`` took."""
    start = time.perf_counter()
    labels = np.asarray(pipeline.predict(X))
    seconds = time.perf_counter() - start
    y = np.asarray(y)
    if task == "regression":
        return Predictions(task=task, y=y.astype(float), labels=labels.astype(float)), seconds
    classes = tuple(pipeline.classes_.tolist())
    proba = np.asarray(pipeline.predict_proba(X), dtype=float)
    ranking = None
    if task == "binary":
        if set(classes) != {0, 1}:
            raise InputError(f"A binary model must predict classes 0 and 1, this one knows "
                             f"{list(classes)}.", "Encode the target with "
                             "lifecycle.problem.metrics.encode_target before training.")
        ranking = (np.asarray(pipeline.decision_function(X), dtype=float)
                   if hasattr(pipeline, "decision_function")
                   else proba[:, classes.index(1)])
    return Predictions(task=task, y=y, labels=labels, proba=proba, ranking=ranking,
                       classes=classes), seconds


_RANKING = ("roc_auc", "average_precision")
_PROBABILITY = ("roc_auc_ovr", "log_loss", "brier")


def predict_for(pipeline, task: str, metric: str, X, y) -> Predictions:
    """Only the predictions ``metric`` needs (one model pass), for re-scoring many frames."""
    y = np.asarray(y)
    if task == "regression":
        return Predictions(task=task, y=y.astype(float),
                           labels=np.asarray(pipeline.predict(X), dtype=float))
    classes = tuple(pipeline.classes_.tolist())
    empty = np.empty(len(y), dtype=object)
    if metric in _RANKING:
        ranking = (pipeline.decision_function(X) if hasattr(pipeline, "decision_function")
                   else pipeline.predict_proba(X)[:, classes.index(1)])
        return Predictions(task=task, y=y, labels=empty, ranking=np.asarray(ranking, float),
                           classes=classes)
    if metric in _PROBABILITY:
        return Predictions(task=task, y=y, labels=empty, classes=classes,
                           proba=np.asarray(pipeline.predict_proba(X), dtype=float))
    return Predictions(task=task, y=y, labels=np.asarray(pipeline.predict(X)), classes=classes)


# ----------------------------------------------------------------------------- point values

def _sklearn_value(name: str, p: Predictions) -> float:
    y, labels = p.y, p.labels
    if name == "roc_auc":
        return skm.roc_auc_score(y, p.ranking)
    if name == "average_precision":
        return skm.average_precision_score(y, p.ranking)
    if name == "roc_auc_ovr":
        return skm.roc_auc_score(y, p.proba, multi_class="ovr", labels=list(p.classes))
    if name == "log_loss":
        scores = p.positive if p.task == "binary" else p.proba
        return skm.log_loss(y, scores, labels=list(p.classes))
    if name == "brier":
        return skm.brier_score_loss(y, p.positive, pos_label=1)
    simple = {"accuracy": skm.accuracy_score, "balanced_accuracy": skm.balanced_accuracy_score,
              "f1_macro": lambda a, b: skm.f1_score(a, b, average="macro"),
              "mae": skm.mean_absolute_error, "rmse": skm.root_mean_squared_error,
              "r2": skm.r2_score, "mape": skm.mean_absolute_percentage_error}
    if name in simple:
        return simple[name](y, labels)
    if name in ("f1", "precision", "recall"):
        function = {"f1": skm.f1_score, "precision": skm.precision_score,
                    "recall": skm.recall_score}[name]
        return function(y, labels, pos_label=1, zero_division=np.nan)  # 0/0 is undefined, not 0
    raise KeyError(name)


def compute_metric(name: str, p: Predictions) -> tuple[float | None, str]:
    """``name`` on ``p`` by scikit-learn: (value, "") or (None, why it cannot be computed)."""
    if len(p) == 0:
        return None, "no rows"
    if name in ("roc_auc", "average_precision", "roc_auc_ovr") and len(np.unique(p.y)) < 2:
        return None, (f"{CATALOGUE[name].label} needs both classes in the rows; only "
                      f"{_class_text(p.y[0])} is present.")
    zero_over_zero = _zero_over_zero(name, p)
    if zero_over_zero:
        return None, zero_over_zero
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(_sklearn_value(name, p))
    except ValueError as exc:
        return None, f"{CATALOGUE[name].label} could not be computed: {exc}"
    if not np.isfinite(value):
        return None, f"{CATALOGUE[name].label} is undefined on these rows."
    return value, ""


def _zero_over_zero(name: str, p: Predictions) -> str:
    """Why a binary precision, recall or F1 is 0/0 on these rows, or ""."""
    if p.task != "binary" or name not in ("precision", "recall", "f1"):
        return ""
    positives, predicted = int(np.sum(p.y == 1)), int(np.sum(p.labels == 1))
    label = CATALOGUE[name].label
    if name == "precision" and predicted == 0:
        return (f"{label} is undefined (0/0): the model predicts none of the {len(p):,} rows as "
                "positive, so there is no prediction to be right about.")
    if name == "recall" and positives == 0:
        return f"{label} is undefined (0/0): none of the {len(p):,} rows is positive."
    if name == "f1" and positives == 0 and predicted == 0:
        return (f"{label} is undefined (0/0): no row is positive and the model predicts none as "
                "positive.")
    return ""


def _unreliable(name: str, p: Predictions) -> str:
    """Why an interval from these rows cannot be trusted (too few cases of a class), or ""."""
    if p.task == "regression" or name not in _CLASS_METRICS or len(p) == 0:
        return ""
    if p.task == "binary":
        counts = {"positive": int(np.sum(p.y == 1)), "negative": int(np.sum(p.y != 1))}
        if name == "precision":
            counts["predicted positive"] = int(np.sum(p.labels == 1))
        what, count = min(counts.items(), key=lambda item: item[1])
    else:
        values, numbers = np.unique(p.y.astype(str), return_counts=True)
        what, count = f"{values[np.argmin(numbers)]!s}", int(numbers.min())
        what = f"class {what!r}"
    if count >= MIN_CLASS_ROWS:
        return ""
    return (f"The interval rests on {count} {what} row(s) of {len(p):,}; with fewer than "
            f"{MIN_CLASS_ROWS} it is unreliable.")


def _class_text(value) -> str:
    return {0: "the negative class", 1: "the positive class"}.get(value, repr(value)) \
        if isinstance(value, (int, np.integer)) else repr(str(value))


# ----------------------------------------------------------------------------- bootstrap

def bootstrap_indices(n: int, n_bootstrap: int, seed: int) -> Iterator[np.ndarray]:
    """Resampled row indices, ``(chunk, n)`` arrays in order; the same for the same seed."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    done = 0
    while done < n_bootstrap:
        size = min(chunk, n_bootstrap - done)
        yield rng.integers(0, n, size=(size, n))
        done += size


def _weights(idx: np.ndarray, n: int) -> np.ndarray:
    b = idx.shape[0]
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def _confusion(W: np.ndarray, y_code: np.ndarray, p_code: np.ndarray, k: int) -> np.ndarray:
    counts = np.zeros((W.shape[0], k, k))
    for t in range(k):
        for q in range(k):
            mask = (y_code == t) & (p_code == q)
            if mask.any():
                counts[:, t, q] = W[:, mask].sum(axis=1)
    return counts


def _divide(a, b, empty=np.nan):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), empty)


def _sorted_groups(score: np.ndarray, W: np.ndarray, positive: np.ndarray):
    """Rows sorted by score with tie groups, and cumulative positive / negative weights
    (a leading zero column, so ``cum[:, k]`` sums the first k sorted rows)."""
    order = np.argsort(score, kind="mergesort")
    s, pos = score[order], positive[order]
    Ws = W[:, order]
    zero = np.zeros((W.shape[0], 1))
    cum_pos = np.concatenate([zero, np.cumsum(np.where(pos, Ws, 0.0), axis=1)], axis=1)
    cum_neg = np.concatenate([zero, np.cumsum(np.where(pos, 0.0, Ws), axis=1)], axis=1)
    new_group = np.r_[True, s[1:] != s[:-1]]
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], len(s)]
    return starts, ends, np.cumsum(new_group) - 1, pos, Ws, cum_pos, cum_neg


def _weighted_auc(W: np.ndarray, positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC of every weighted resample (ties count one half, as in scikit-learn)."""
    starts, ends, group, pos, Ws, _, cum_neg = _sorted_groups(score, W, positive)
    below = cum_neg[:, starts[group]]
    within = cum_neg[:, ends[group]] - below
    pos_w = np.where(pos, Ws, 0.0)
    wins = (pos_w * (below + 0.5 * within)).sum(axis=1)
    return _divide(wins, pos_w.sum(axis=1) * cum_neg[:, -1])


def _weighted_average_precision(W: np.ndarray, positive: np.ndarray,
                                score: np.ndarray) -> np.ndarray:
    """Average precision of every weighted resample: the sum over distinct scores (from the
    highest) of the recall gained there times the precision at that score."""
    starts, ends, _, _, _, cum_pos, cum_neg = _sorted_groups(score, W, positive)
    total_pos, total = cum_pos[:, -1:], cum_pos[:, -1:] + cum_neg[:, -1:]
    tp = total_pos - cum_pos[:, starts]  # rows scoring at least each group's score
    predicted = total - (cum_pos[:, starts] + cum_neg[:, starts])
    gained = cum_pos[:, ends] - cum_pos[:, starts]
    precision = _divide(tp, predicted, 0.0)
    return _divide((gained * precision).sum(axis=1), total_pos[:, 0])


def _vectorised(names: list[str], p: Predictions, W: np.ndarray) -> dict[str, np.ndarray]:
    n = len(p)
    out: dict[str, np.ndarray] = {}
    if p.task == "regression":
        err = p.labels - p.y
        sq = W @ (err ** 2)
        total_sq = W @ (p.y ** 2) - (W @ p.y) ** 2 / n
        values = {"mae": W @ np.abs(err) / n, "rmse": np.sqrt(sq / n),
                  "r2": 1 - _divide(sq, np.where(total_sq > 1e-12 * n, total_sq, 0.0)),
                  "mape": W @ (np.abs(err) / np.maximum(np.abs(p.y),
                                                        np.finfo(np.float64).eps)) / n}
        return {k: v for k, v in values.items() if k in names}
    classes = list(p.classes)
    code = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    y_code = np.array([code.get(v, -1) for v in p.y.tolist()])
    p_code = np.array([code.get(v, -1) for v in p.labels.tolist()])
    C = _confusion(W, y_code, p_code, k)
    diag = np.diagonal(C, axis1=1, axis2=2)
    rows, cols = C.sum(axis=2), C.sum(axis=1)
    out["accuracy"] = diag.sum(axis=1) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        out["balanced_accuracy"] = np.nanmean(_divide(diag, rows), axis=1)
        out["f1_macro"] = np.nanmean(_divide(2 * diag, rows + cols), axis=1)
    true_p = np.clip(p.proba[np.arange(n), np.maximum(y_code, 0)], np.finfo(float).eps,
                     1 - np.finfo(float).eps)
    out["log_loss"] = W @ -np.log(true_p) / n
    if p.task == "binary":
        tp, fp, fn = C[:, 1, 1], C[:, 0, 1], C[:, 1, 0]
        out["precision"] = _divide(tp, tp + fp)  # 0/0 stays NaN (undefined), as the point value
        out["recall"] = _divide(tp, tp + fn)
        out["f1"] = _divide(2 * tp, 2 * tp + fp + fn)
        out["brier"] = W @ (p.positive - p.y) ** 2 / n
        if "roc_auc" in names:
            out["roc_auc"] = _weighted_auc(W, p.y == 1, p.ranking)
        if "average_precision" in names:
            out["average_precision"] = _weighted_average_precision(W, p.y == 1, p.ranking)
    elif "roc_auc_ovr" in names:  # macro average of one-vs-rest AUCs, as scikit-learn
        per_class = [_weighted_auc(W, y_code == i, p.proba[:, i]) for i in range(k)]
        out["roc_auc_ovr"] = np.mean(per_class, axis=0)
    return {k: v for k, v in out.items() if k in names}


def bootstrap_replicates(names: list[str], p: Predictions, *, n_bootstrap: int,
                         seed: int) -> dict[str, np.ndarray]:
    """Each metric on every resample of :func:`bootstrap_indices` (NaN where undefined)."""
    n = len(p)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    if n == 0 or n_bootstrap <= 0:
        return {name: np.array([]) for name in names}
    for idx in bootstrap_indices(n, n_bootstrap, seed):
        fast = _vectorised(names, p, _weights(idx, n))
        for name in names:
            if name in fast:
                parts[name].append(np.asarray(fast[name], dtype=float))
            else:  # a resample at a time through scikit-learn
                parts[name].append(np.array([_or_nan(compute_metric(name, p.take(rows))[0])
                                             for rows in idx]))
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


def percentile_interval(replicates: np.ndarray) -> tuple[float | None, float | None]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None, None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def estimate_metrics(p: Predictions, names: list[str], *, n_bootstrap: int,
                     seed: int) -> dict[str, MetricEstimate]:
    """Point value (scikit-learn) and bootstrap interval of every metric in ``names``."""
    points = {name: compute_metric(name, p) for name in names}
    defined = [name for name in names if points[name][0] is not None]
    replicates = bootstrap_replicates(defined, p, n_bootstrap=n_bootstrap, seed=seed)
    estimates = {}
    for name in names:
        value, note = points[name]
        low, high = percentile_interval(replicates[name]) if value is not None else (None, None)
        estimates[name] = MetricEstimate(value=value, low=low, high=high, n=len(p), note=note,
                                         unreliable=_unreliable(name, p) if value is not None else "")
    return estimates
