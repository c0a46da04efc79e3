"""Slices of the test rows and a finder of the weakest cohorts.

Slices: the primary metric plus accuracy (classification) or MAE (regression) for each of
the 20 most frequent values of a categorical column and each of 5 quantile bins of a numeric
one; a slice under ``MIN_SLICE`` rows is flagged as too small to read.

Weakest cohorts: a shallow decision tree fitted on the raw test features predicts where the
model errs (misclassified rows; for regression, absolute residuals in the top quarter); its
leaves with the highest error rate are described in the user's column names.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from lifecycle.validate.metrics import Predictions, compute_metric

MIN_SLICE = 30
TOP_VALUES = 20
NUMERIC_BINS = 5
TREE_DEPTH = 3
MAX_COHORTS = 5
MISSING = "(missing)"


@dataclass(frozen=True, kw_only=True)
class SliceMetrics:
    column: str
    value: str  # a category, a bin such as "(27.5, 36]" or "(missing)"
    rows: int
    metrics: dict[str, float | None]  # the primary metric and accuracy or mae
    small: bool  # fewer than MIN_SLICE rows: too small to read
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Cohort:
    rule: str  # "age <= 27.5 and relationship = Own-child"
    conditions: tuple[str, ...]
    rows: int
    errors: int
    error_rate: float
    lift: float | None  # error rate over the overall error rate


@dataclass(frozen=True, kw_only=True)
class WeakestCohorts:
    error_definition: str
    overall_error_rate: float | None
    min_rows: int
    cohorts: tuple[Cohort, ...]
    note: str = ""


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING).map(str)


def _groups(series: pd.Series, kind: str) -> list[tuple[str, np.ndarray]]:
    present = series.notna().to_numpy()
    groups: list[tuple[str, np.ndarray]] = []
    numeric = pd.to_numeric(series, errors="coerce") if kind == "numeric" else None
    if numeric is not None and numeric.nunique() > NUMERIC_BINS:
        bins = pd.qcut(numeric, NUMERIC_BINS, duplicates="drop")
        for interval in bins.cat.categories:
            mask = (bins == interval).to_numpy()
            groups.append((f"({interval.left:.4g}, {interval.right:.4g}]", mask))
    else:
        text = _text(series)
        for value in text[present].value_counts().index[:TOP_VALUES]:
            groups.append((value, (text == value).to_numpy() & present))
    if not present.all():
        groups.append((MISSING, ~present))
    return groups


def slice_metrics(p: Predictions, columns: dict[str, pd.Series], kinds: dict[str, str],
                  primary: str) -> tuple[SliceMetrics, ...]:
    """Metrics per slice of each column in ``columns`` (test-row values, positional)."""
    secondary = "mae" if p.task == "regression" else "accuracy"
    names = list(dict.fromkeys([primary, secondary]))
    out = []
    for column, series in columns.items():
        if kinds.get(column) == "datetime":
            continue
        for value, mask in _groups(series.reset_index(drop=True), kinds.get(column, "numeric")):
            part = p.take(np.flatnonzero(mask))
            computed = {name: compute_metric(name, part) for name in names}
            notes = sorted({note for _, note in computed.values() if note})
            out.append(SliceMetrics(column=column, value=value, rows=len(part),
                                    metrics={k: v for k, (v, _) in computed.items()},
                                    small=len(part) < MIN_SLICE, note=" ".join(notes)))
    return tuple(out)


def errors_of(p: Predictions) -> tuple[np.ndarray, str]:
    """Which rows the model got wrong, and how "wrong" was defined."""
    if p.task != "regression":
        return p.labels != p.y, "misclassified"
    residual = np.abs(p.labels - p.y)
    cut = float(np.quantile(residual, 0.75)) if len(residual) else 0.0
    return residual > cut, f"absolute residual in the top quarter (above {cut:.4g})"


def _tree_features(X: pd.DataFrame, kinds: dict[str, str]) -> tuple[np.ndarray, list[tuple]]:
    columns, meta = [], []
    for column, kind in kinds.items():
        series = X[column]
        if kind == "datetime":
            continue
        if kind == "numeric" and (pd.api.types.is_numeric_dtype(series)
                                  or pd.api.types.is_bool_dtype(series)):
            columns.append(pd.to_numeric(series, errors="coerce").astype(float).to_numpy())
            meta.append(("num", column, bool(series.isna().any())))
            continue
        text = _text(series)
        for value in text[series.notna()].value_counts().index[:TOP_VALUES]:
            columns.append((text == value).to_numpy(dtype=float))
            meta.append(("cat", column, value))
    matrix = np.column_stack(columns) if columns else np.empty((len(X), 0))
    return matrix, meta


def _leaf_conditions(tree, meta) -> dict[int, list[tuple]]:
    t = tree.tree_
    paths: dict[int, list[tuple]] = {}
    missing_left = getattr(t, "missing_go_to_left", np.zeros(t.node_count, dtype=bool))
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right:
            paths[node] = path
            continue
        info, threshold = meta[t.feature[node]], float(t.threshold[node])
        goes_left = bool(missing_left[node])
        stack.append((left, path + [(info, "<=", threshold, goes_left)]))
        stack.append((right, path + [(info, ">", threshold, not goes_left)]))
    return paths


def _rule(path: list[tuple]) -> tuple[str, ...]:
    numeric: dict[str, dict] = {}
    categorical: dict[str, dict] = {}
    order: list[str] = []
    for (kind, column, extra), op, threshold, missing_here in path:
        if column not in order:
            order.append(column)
        if kind == "num":
            entry = numeric.setdefault(column, {"low": -math.inf, "high": math.inf,
                                                "missing": extra})
            if op == "<=":
                entry["high"] = min(entry["high"], threshold)
            else:
                entry["low"] = max(entry["low"], threshold)
            entry["missing"] = entry["missing"] and missing_here
        else:
            entry = categorical.setdefault(column, {"is": None, "not": []})
            if op == ">":
                entry["is"] = extra
            else:
                entry["not"].append(extra)
    parts = []
    for column in order:
        if column in numeric:
            e = numeric[column]
            low, high = e["low"], e["high"]
            text = (f"{low:.4g} < {column} <= {high:.4g}" if low > -math.inf and high < math.inf
                    else f"{column} <= {high:.4g}" if high < math.inf
                    else f"{column} > {low:.4g}")
            parts.append(f"({text} or missing)" if e["missing"] else text)
        else:
            e = categorical[column]
            if e["is"] is not None:
                parts.append(f"{column} = {e['is']}")
            elif len(e["not"]) == 1:
                parts.append(f"{column} ≠ {e['not'][0]}")
            else:
                parts.append(f"{column} not in {{{', '.join(e['not'])}}}")
    return tuple(parts)


def weakest_cohorts(p: Predictions, X: pd.DataFrame, kinds: dict[str, str], *,
                    seed: int) -> WeakestCohorts:
    errors, definition = errors_of(p)
    n = len(p)
    min_rows = max(MIN_SLICE, math.ceil(0.02 * n))
    overall = float(errors.mean()) if n else None

    def result(cohorts=(), note=""):
        return WeakestCohorts(error_definition=definition, overall_error_rate=overall,
                              min_rows=min_rows, cohorts=tuple(cohorts), note=note)

    if n < 2 * min_rows:
        return result(note=f"Only {n} test rows; the cohort finder needs at least "
                           f"{2 * min_rows} to split them into cohorts of {min_rows}.")
    if errors.all() or not errors.any():
        return result(note="Every row is wrong." if errors.all() else "No errors to explain.")
    matrix, meta = _tree_features(X.reset_index(drop=True), kinds)
    if not meta:
        return result(note="No feature columns to describe cohorts with.")
    tree = DecisionTreeClassifier(max_depth=TREE_DEPTH, min_samples_leaf=min_rows,
                                  random_state=seed).fit(matrix, errors)
    leaves = tree.apply(matrix)
    paths = _leaf_conditions(tree, meta)
    cohorts = []
    for leaf, path in paths.items():
        in_leaf = leaves == leaf
        size, wrong = int(in_leaf.sum()), int(errors[in_leaf].sum())
        if not size or not path:
            continue
        rate = wrong / size
        if rate <= overall:
            continue
        conditions = _rule(path)
        cohorts.append(Cohort(rule=" and ".join(conditions), conditions=conditions, rows=size,
                              errors=wrong, error_rate=rate, lift=rate / overall))
    cohorts.sort(key=lambda c: (-c.error_rate, -c.rows))
    note = "" if cohorts else "No group of rows has a clearly higher error rate."
    return result(cohorts[:MAX_COHORTS], note)
