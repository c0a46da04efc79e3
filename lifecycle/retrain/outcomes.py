"""Labelled outcomes from the scoring service's logs: a logged prediction and its feedback label
become one outcome, right or wrong (classification) or an absolute error (regression).

Predictions are logged as JSON text naming the class (``">50K"``); a client may send feedback as
that name or as the class code the model was trained on (``1``), which the manifest's
``class_labels`` map back to the name.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

CORRECT, ABSOLUTE_ERROR = "correct", "absolute_error"


def outcome_kind(task: str) -> str:
    """What one labelled outcome measures for ``task``: right/wrong for classification, the absolute
    error for regression."""
    return ABSOLUTE_ERROR if task == "regression" else CORRECT


def higher_is_better(kind: str) -> bool:
    """Right answers count up; errors count down."""
    return kind == CORRECT


def _decode(text: Any) -> Any:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def class_name(value: Any, class_labels: Mapping[str, str]) -> str | None:
    """A logged class or feedback label as the class's name (a code such as 1 or "1" mapped through
    ``class_labels``); None for an empty value."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text in class_labels and text not in class_labels.values():
        return class_labels[text]
    return text


@dataclass(frozen=True, kw_only=True, eq=False)
class Outcomes:
    """Outcome values (1/0 or absolute errors) of the usable rows and how many labelled rows could not
    be used (a label or prediction that is empty or not a number)."""

    values: np.ndarray
    usable: np.ndarray  # boolean mask over the input rows
    unusable: int


def outcomes(predictions: pd.Series, labels: pd.Series, kind: str,
             class_labels: Mapping[str, str] | None = None) -> Outcomes:
    """One outcome per row from logged predictions and labels (JSON text, as the log holds them)."""
    class_labels = class_labels or {}
    values, usable = [], []
    for predicted, label in zip(predictions.tolist(), labels.tolist()):
        p, y = _decode(predicted), _decode(label)
        if kind == CORRECT:
            p_name, y_name = class_name(p, class_labels), class_name(y, class_labels)
            ok = p_name is not None and y_name is not None
            values.append(float(p_name == y_name) if ok else np.nan)
        else:
            try:
                error = abs(float(p) - float(y))
                ok = math.isfinite(error)
            except (TypeError, ValueError):
                error, ok = np.nan, False
            values.append(error)
        usable.append(ok)
    mask = np.array(usable, dtype=bool)
    array = np.array(values, dtype=float)
    return Outcomes(values=array[mask], usable=mask, unusable=int((~mask).sum()))
