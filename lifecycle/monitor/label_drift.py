"""Label drift: the labels of a window against the reference label distribution.

The reference is the class counts of the version's held-out test rows (its latest validation
report), drawn from the dataset version it was trained on. A window's labelled rows are compared
with it by Pearson's chi-square goodness-of-fit test (``scipy.stats.chisquare``, expected counts
the reference shares times the window's labelled rows); the effect is the total variation
distance ``0.5 * sum |observed share - reference share|`` (for a binary target, the change in the
positive rate). Regression targets have no class counts on record, so no label drift is computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

METRIC = "label_shift"  # the name label drift is stored under, beside the performance metrics


@dataclass(frozen=True, kw_only=True)
class LabelShift:
    """A window's label shares against the reference's, with the test's statistic and p-value."""

    observed: dict[str, float]
    reference: dict[str, float]
    distance: float  # total variation distance, 0 (same) to 1
    statistic: float | None
    p_value: float | None
    n: int


def reference_counts(workspace: Workspace, version_id: int, classes: tuple[str, ...],
                     positive: str | None) -> dict[str, int] | None:
    """Test rows per class of ``version_id``'s latest validation report, named as the answers name
    the classes (a binary report counts ``"1"``, the positive class, and ``"0"``); None when unknown."""
    stored = model_store.latest_validation(workspace.db.cursor(), version_id)
    counts = (stored.report.get("class_counts") if stored is not None else None) or None
    if not counts:
        return None
    if positive is not None:
        other = next((c for c in classes if c != positive), None)
        if other is None:
            return None
        return {positive: int(counts.get("1", 0)), other: int(counts.get("0", 0))}
    return {str(k): int(v) for k, v in counts.items()}


def label_shift(observed: dict[str, int], reference: dict[str, int]) -> LabelShift | None:
    """The shift of ``observed`` class counts from ``reference`` (both ``{class: rows}``); None when
    either has no rows."""
    classes = sorted(set(observed) | set(reference))
    seen = np.array([observed.get(c, 0) for c in classes], dtype=float)
    base = np.array([reference.get(c, 0) for c in classes], dtype=float)
    if seen.sum() <= 0 or base.sum() <= 0:
        return None
    seen_share, base_share = seen / seen.sum(), base / base.sum()
    statistic = p_value = None
    if np.all(base_share > 0) and len(classes) > 1:
        result = stats.chisquare(seen, f_exp=base_share * seen.sum())
        statistic, p_value = _finite(result.statistic), _finite(result.pvalue)
    elif np.any((base_share == 0) & (seen > 0)):
        p_value = 0.0  # a class the reference never holds: no chance under it
    return LabelShift(observed=dict(zip(classes, seen_share.tolist())), reference=dict(zip(classes, base_share.tolist())),
                      distance=float(0.5 * np.abs(seen_share - base_share).sum()), statistic=statistic,
                      p_value=p_value, n=int(seen.sum()))


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
