"""Overfitting (train vs cross-validation vs test) and robustness to perturbed inputs.

Robustness re-scores the primary metric on copies of the test rows with Gaussian noise on
the numeric features, missing values injected into every feature, and categories swapped
for other observed ones. Every perturbation is seeded; the clean test rows never change.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from lifecycle.problem.objectives import CATALOGUE

NOISE_LEVELS = (0.1, 0.25, 0.5)
MISSING_RATES = (0.05, 0.10, 0.25)
SWAP_SHARES = (0.10, 0.25)


@dataclass(frozen=True, kw_only=True)
class Overfitting:
    """The primary metric on the training rows, in cross-validation and on the test rows.

    Gaps are in the better direction (positive: the first score is better). A bounded metric
    (ROC AUC, accuracy) is flagged when ``train_test_gap`` exceeds ``threshold``; an error
    metric without an upper bound (RMSE, MAE, log loss) when the gap relative to the test
    score does, since its absolute gap is in target units.
    """

    metric: str
    train: float | None
    cv: float | None
    test: float | None
    train_test_gap: float | None
    train_cv_gap: float | None
    cv_test_gap: float | None
    relative_gap: float | None
    basis: str  # "absolute" or "relative"
    threshold: float
    flagged: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class RobustnessCheck:
    """The primary metric under one perturbation; ``drop`` is the loss from the clean score
    in the better direction (positive: worse than clean)."""

    perturbation: str  # "noise", "missing", "swap"
    level: float
    label: str
    columns: tuple[str, ...]
    score: float | None
    drop: float | None
    note: str = ""


def better_gap(metric: str, first: float | None, second: float | None) -> float | None:
    """How much better ``first`` is than ``second`` for ``metric`` (negative: worse)."""
    if first is None or second is None:
        return None
    diff = first - second
    return diff if CATALOGUE[metric].higher_is_better else -diff


def overfitting(metric: str, *, train: float | None, cv: float | None, test: float | None,
                threshold: float) -> Overfitting:
    gap = better_gap(metric, train, test)
    relative = None if gap is None or not test else gap / abs(test)
    basis = "relative" if CATALOGUE[metric].high == np.inf else "absolute"
    judged = relative if basis == "relative" else gap
    flagged = judged is not None and judged > threshold
    label = CATALOGUE[metric].label
    if judged is None:
        reason = f"{label} could not be computed on both the training and the test rows."
    else:
        size = f"{judged:.1%} of the test score" if basis == "relative" else f"{judged:.3f}"
        reason = (f"{label} is better on the training rows than on the test rows by {size}; "
                  f"{'above' if flagged else 'within'} the {threshold:g} allowed.")
    return Overfitting(metric=metric, train=train, cv=cv, test=test, train_test_gap=gap,
                       train_cv_gap=better_gap(metric, train, cv),
                       cv_test_gap=better_gap(metric, cv, test), relative_gap=relative,
                       basis=basis, threshold=threshold, flagged=flagged, reason=reason)


def feature_kinds(pipeline, X: pd.DataFrame) -> dict[str, str]:
    """The raw columns the model reads, each "numeric", "categorical" or "datetime".

    Read from the compiled recipe (the pipeline's first ``ColumnTransformer``: branches
    "num" numeric, "cat"/"ord" categorical, derived inputs by dtype); without one, every
    column of ``X``, by dtype.
    """
    prep = next((step for _, step in getattr(pipeline, "steps", [])
                 if isinstance(step, ColumnTransformer)), None)
    kinds: dict[str, str] = {}
    if prep is not None and hasattr(prep, "transformers_"):
        for name, _, columns in prep.transformers_:
            if name == "remainder" or isinstance(columns, slice):
                continue
            for column in np.atleast_1d(columns).tolist():
                if isinstance(column, (int, np.integer)) and column not in X.columns:
                    column = X.columns[column]
                if column in X.columns:
                    kind = {"num": "numeric", "cat": "categorical",
                            "ord": "categorical"}.get(name) or _dtype_kind(X[column])
                    kinds.setdefault(str(column), kind)
    if not kinds:
        kinds = {str(c): _dtype_kind(X[c]) for c in X.columns}
    return kinds


def _dtype_kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"  # fed through derived columns; only missing values touch it
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "numeric" if numeric else "categorical"


def _noisy(X, X_train, columns, k, rng) -> tuple[pd.DataFrame, tuple[str, ...]]:
    out, used = X.copy(), []
    for column in columns:
        if not pd.api.types.is_numeric_dtype(X[column]) or pd.api.types.is_bool_dtype(
                X[column]):
            continue
        sd = float(pd.to_numeric(X_train[column], errors="coerce").std())
        if not np.isfinite(sd) or sd == 0:
            continue
        out[column] = X[column].astype(float) + rng.normal(0.0, k * sd, len(X))
        used.append(column)
    return out, tuple(used)


def _holed(X, columns, rate, rng) -> tuple[pd.DataFrame, tuple[str, ...]]:
    out, n = X.copy(), len(X)
    for column in columns:
        mask = np.zeros(n, dtype=bool)
        mask[rng.choice(n, size=int(round(rate * n)), replace=False)] = True
        series = X[column]
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(object)
        out[column] = series.mask(mask)
    return out, tuple(columns)


def _swapped(X, X_train, columns, share, rng) -> tuple[pd.DataFrame, tuple[str, ...]]:
    out, n, used = X.copy(), len(X), []
    for column in columns:
        observed = pd.unique(X_train[column].dropna())
        m = len(observed)
        if m < 2:
            continue
        rows = rng.choice(n, size=int(round(share * n)), replace=False)
        position = {v: i for i, v in enumerate(observed.tolist())}
        current = np.array([position.get(v, -1) for v in X[column].iloc[rows].tolist()],
                           dtype=int)
        other = (current + 1 + rng.integers(0, m - 1, size=len(rows))) % m
        new_index = np.where(current >= 0, other, rng.integers(0, m, size=len(rows)))
        series = X[column].copy()
        try:
            series.iloc[rows] = np.asarray(observed)[new_index]
        except (TypeError, ValueError):
            series = series.astype(object)
            series.iloc[rows] = np.asarray(observed, dtype=object)[new_index]
        out[column] = series
        used.append(column)
    return out, tuple(used)


def robustness(score: Callable[[pd.DataFrame], tuple[float | None, str]], metric: str, *,
               clean: float | None, X: pd.DataFrame, X_train: pd.DataFrame,
               kinds: dict[str, str], seed: int) -> tuple[RobustnessCheck, ...]:
    """Score every perturbation of ``X``; ``score(frame)`` returns (value, note)."""
    numeric = [c for c, kind in kinds.items() if kind == "numeric" and c in X.columns]
    categorical = [c for c, kind in kinds.items() if kind == "categorical" and c in X.columns]
    features = [c for c in kinds if c in X.columns]
    plans = ([("noise", k, lambda rng, k=k: _noisy(X, X_train, numeric, k, rng),
               f"Gaussian noise, sd = {k:g} × column sd") for k in NOISE_LEVELS]
             + [("missing", r, lambda rng, r=r: _holed(X, features, r, rng),
                 f"{r:.0%} of values missing") for r in MISSING_RATES]
             + [("swap", s, lambda rng, s=s: _swapped(X, X_train, categorical, s, rng),
                 f"{s:.0%} of categories swapped") for s in SWAP_SHARES])
    checks = []
    for number, (kind, level, make, label) in enumerate(plans):
        frame, used = make(np.random.default_rng([seed, number]))
        if not used:
            what = "numeric" if kind == "noise" else "categorical" if kind == "swap" else ""
            checks.append(RobustnessCheck(perturbation=kind, level=level, label=label,
                                          columns=(), score=None, drop=None,
                                          note=f"No {what} feature column to perturb."
                                          .replace("  ", " ")))
            continue
        try:
            value, note = score(frame)
        except Exception as exc:  # a model that cannot take the perturbed rows
            value, note = None, f"The model failed on these rows: {exc}"
        checks.append(RobustnessCheck(perturbation=kind, level=level, label=label,
                                      columns=used, score=value,
                                      drop=better_gap(metric, clean, value), note=note))
    return tuple(checks)
