"""Objective metrics as scikit-learn scorers, so every number comes from scikit-learn."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle.errors import InputError

# objective metric -> (scikit-learn scoring name, sign to turn the score into the metric)
SCORERS: dict[str, tuple[str, int]] = {
    "roc_auc": ("roc_auc", 1),
    "roc_auc_ovr": ("roc_auc_ovr", 1),
    "average_precision": ("average_precision", 1),
    "accuracy": ("accuracy", 1),
    "balanced_accuracy": ("balanced_accuracy", 1),
    "f1": ("f1", 1),
    "f1_macro": ("f1_macro", 1),
    "precision": ("precision", 1),
    "recall": ("recall", 1),
    "log_loss": ("neg_log_loss", -1),
    "brier": ("neg_brier_score", -1),
    "mae": ("neg_mean_absolute_error", -1),
    "rmse": ("neg_root_mean_squared_error", -1),
    "r2": ("r2", 1),
    "mape": ("neg_mean_absolute_percentage_error", -1),
}
PRIMARY = {"binary": "roc_auc", "multiclass": "balanced_accuracy", "regression": "rmse"}


def positive_class_for(y: pd.Series, declared: str | None) -> tuple[str, bool]:
    """The positive class as text and whether it was inferred (the rarer class) rather than declared."""
    counts = y.dropna().astype(str).value_counts()
    if declared is not None:
        if declared not in counts.index:
            raise InputError(f"The positive class {declared!r} does not occur in the target "
                             f"(values: {', '.join(counts.index[:10])}).",
                             "Fix the positive class in stage 1.")
        return declared, False
    return str(counts.index[-1]), True


def encode_target(y: pd.Series, task: str, positive: str | None) -> pd.Series:
    """Binary targets become 1 for the positive class and 0 otherwise, so scorers agree on it."""
    if task == "binary":
        return (y.astype(str) == positive).astype(np.int64)
    if task == "multiclass":
        return y.astype(str)
    return pd.to_numeric(y)


def scorers_for(metrics: list[str]) -> dict[str, str]:
    """scikit-learn scoring strings for these metrics, ``{metric: scorer}``. Raises InputError for a metric
    without a scorer."""
    unknown = [m for m in metrics if m not in SCORERS]
    if unknown:
        raise InputError(f"No scorer for {', '.join(unknown)}.", f"Choose from {', '.join(SCORERS)}.")
    return {m: SCORERS[m][0] for m in metrics}


def to_metric(metric: str, score: float) -> float:
    """A scorer's value in the metric's own units: scikit-learn negates error metrics (neg_mean_absolute_error),
    this undoes it."""
    return SCORERS[metric][1] * float(score)
