"""Records of the Monitor stage's performance per window: what was counted and what was measured."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

SOURCES = ("realized", "estimated")  # measured on labelled rows; estimated from probabilities (CBPE)


@dataclass(frozen=True, kw_only=True)
class WindowCounts:
    """One model version's predictions in one window, and how many of them have a (valid) label."""

    project_id: int
    model_version_id: int
    size_seconds: int
    window_start: datetime
    predictions: int
    labelled: int
    label_counts: dict[str, int]  # labelled rows per class ({} for regression)
    signature: str  # what the stored numbers were computed with (metrics, resamples, seed, objectives)
    computed_at: datetime

    @property
    def labelled_share(self) -> float:
        return self.labelled / self.predictions if self.predictions else 0.0


@dataclass(frozen=True, kw_only=True)
class WindowMetric:
    """One metric of one version in one window: realized (with its bootstrap interval) or estimated."""

    project_id: int
    model_version_id: int
    size_seconds: int
    window_start: datetime
    metric: str
    source: str  # one of SOURCES
    value: float | None
    low: float | None
    high: float | None
    n: int  # rows it rests on (labelled rows for realized, predictions for estimated)
    note: str = ""
    details: dict[str, Any] | None = None  # e.g. the worst grouping of a fairness metric
