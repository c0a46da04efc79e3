"""What a SHAP explanation says, in numbers and in plain words: global importance per source
column, the column each one interacts with most, and the few drivers a stakeholder should know.

Every function reads arrays already computed by :mod:`lifecycle.review.explain`; nothing here calls
the model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import shap

DRIVERS = 3  # how many columns the plain-language summary names
CLEAR_TREND = 0.2  # |correlation| of value vs SHAP below which a numeric effect is called mixed
MIN_CATEGORY_ROWS = 5  # categories seen fewer times are too noisy to name as the strongest push
INTERACTION_ROWS = 1000  # enough rows to pick a colour column; the search is quadratic in columns


@dataclass(frozen=True, kw_only=True)
class Driver:
    """One column that drives the model, and in which direction."""

    column: str
    importance: float  # mean |SHAP| over the explained rows
    direction: str  # "up", "down" or "mixed" (numeric: higher values push the output ...)
    statement: str


def importance(values: np.ndarray, columns: Sequence[str]) -> dict[str, float]:
    """Mean |SHAP| per column, largest first (the usual SHAP global importance)."""
    means = np.abs(np.asarray(values, dtype=float)).mean(axis=0) if len(values) else np.zeros(len(columns))
    order = np.argsort(-means, kind="stable")
    return {columns[i]: float(means[i]) for i in order}


def numeric_codes(feature: Sequence) -> np.ndarray:
    """Numbers as floats; text as category codes (NaN when empty), for correlations and colours."""
    series = pd.Series(list(feature))
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().sum() == series.notna().sum():
        return numbers.to_numpy(dtype=float)
    codes = pd.Categorical(series.astype("string")).codes.astype(float)
    codes[codes < 0] = np.nan
    return codes


def interactions(values: np.ndarray, features: Mapping[str, Sequence], columns: Sequence[str]) -> dict[str, str | None]:
    """For each column, the other column whose values best explain the spread of its SHAP values
    (``shap.utils.approximate_interactions``): the colour of its dependence plot. Uses at most
    ``INTERACTION_ROWS`` rows, evenly spaced, so the choice is deterministic."""
    if len(columns) < 2 or len(values) < 2:
        return {c: None for c in columns}
    matrix = np.column_stack([np.nan_to_num(numeric_codes(features[c]), nan=-1.0) for c in columns])
    values = np.asarray(values, dtype=float)
    if len(values) > INTERACTION_ROWS:
        kept = np.linspace(0, len(values) - 1, INTERACTION_ROWS).astype(int)
        values, matrix = values[kept], matrix[kept]
    found = {}
    for index, column in enumerate(columns):
        order = shap.utils.approximate_interactions(index, values, matrix)
        found[column] = next((columns[i] for i in order if i != index), None)
    return found


def _numeric_driver(column: str, weight: float, feature: np.ndarray, shap_values: np.ndarray, output: str) -> Driver:
    present = ~np.isnan(feature)
    trend = 0.0
    if present.sum() > 2 and np.std(feature[present]) > 0 and np.std(shap_values[present]) > 0:
        trend = float(np.corrcoef(feature[present], shap_values[present])[0, 1])
    if abs(trend) < CLEAR_TREND:
        return Driver(column=column, importance=weight, direction="mixed",
                      statement=f"{column}: its effect on the {output} depends on the other columns "
                                "(no single direction).")
    direction = "up" if trend > 0 else "down"
    return Driver(column=column, importance=weight, direction=direction,
                  statement=f"{column}: higher values push the {output} {direction}.")


def _categorical_driver(column: str, weight: float, feature: Sequence, shap_values: np.ndarray,
                        output: str) -> Driver:
    frame = pd.DataFrame({"category": pd.Series(list(feature), dtype="string").fillna("(empty)"),
                          "shap": shap_values})
    stats = frame.groupby("category")["shap"].agg(["mean", "size"])
    common = stats[stats["size"] >= MIN_CATEGORY_ROWS]
    stats = common if len(common) else stats
    top, bottom = stats["mean"].idxmax(), stats["mean"].idxmin()
    if len(stats) < 2 or stats["mean"].max() == stats["mean"].min():
        return Driver(column=column, importance=weight, direction="mixed",
                      statement=f"{column}: every category moves the {output} about the same.")
    direction = "up" if stats["mean"].max() > abs(stats["mean"].min()) else "down"
    return Driver(column=column, importance=weight, direction=direction,
                  statement=f"{column}: {column} = {top} pushes the {output} up most, "
                            f"{column} = {bottom} pushes it down most.")


def drivers(values: np.ndarray, features: Mapping[str, Sequence], kinds: Mapping[str, str],
            ranked: Mapping[str, float], output: str, count: int = DRIVERS) -> tuple[Driver, ...]:
    """The ``count`` most important columns and their direction: for a numeric column the sign of
    the correlation between its values and its SHAP values; for a categorical one, the category
    with the highest and the lowest mean SHAP value."""
    columns = list(kinds)
    found = []
    for column in list(ranked)[:count]:
        shap_values = np.asarray(values, dtype=float)[:, columns.index(column)]
        weight = ranked[column]
        if kinds[column] == "numeric":
            found.append(_numeric_driver(column, weight, numeric_codes(features[column]), shap_values, output))
        else:
            found.append(_categorical_driver(column, weight, features[column], shap_values, output))
    return tuple(found)


def summary_line(found: Sequence[Driver], output: str, rows: int, method: str) -> str:
    """One line for lists and the audit trail."""
    names = ", ".join(d.column for d in found) or "no column"
    return f"{names} drive the {output} most ({rows:,} test rows, {method} SHAP)"


_CATEGORY = re.compile(r"= (?P<top>.+?) pushes the .+ up most, .+? = (?P<bottom>.+?) pushes it down most\.$")


def outcome_words(task: str, target: str, positive_class: str | None, target_class: str | None = None) -> str:
    """What the model predicts, for a reader: 'the predicted chance of income >50K', 'the predicted price'."""
    target = target.replace("_", " ")
    if task == "regression":
        return f"the predicted {target}"
    label = positive_class if task == "binary" else target_class
    return f"the predicted chance of {target} {label}" if label else f"the predicted {target}"


def plain_words(driver: Mapping, outcome: str, *, first: bool = False) -> str:
    """A stored driver in plain words, without log-odds: 'higher age raises the predicted chance of income
    >50K', 'marital status Married-civ-spouse raises the predicted chance of income >50K the most'."""
    column = str(driver["column"]).replace("_", " ")
    most = " the most" if first else ""
    found = _CATEGORY.search(str(driver.get("statement", "")))
    if found:
        return f"{column} {found['top']} raises {outcome}{most}; {column} {found['bottom']} lowers it most"
    if driver.get("direction") == "up":
        return f"higher {column} raises {outcome}{most}"
    if driver.get("direction") == "down":
        return f"higher {column} lowers {outcome}{most}"
    return f"{column} moves {outcome} in both directions, depending on the other columns"
