"""Stored performance per window (migration 10): the counts each window was computed from and its
metrics, realized (with the bootstrap interval) and estimated, so charts read history and never
recompute it."""
from __future__ import annotations

import json
from datetime import datetime

import duckdb

from lifecycle.records import WindowCounts, WindowMetric

_WINDOW = "project_id, model_version_id, size_seconds, window_start, predictions, labelled, label_counts, signature, " \
          "computed_at"
_METRIC = "project_id, model_version_id, size_seconds, window_start, metric, source, value, low, high, n, note, details"


def _counts(row: tuple) -> WindowCounts:
    project_id, version_id, size, start, predictions, labelled, label_counts, signature, computed_at = row
    return WindowCounts(project_id=project_id, model_version_id=version_id, size_seconds=size, window_start=start,
                        predictions=predictions, labelled=labelled, label_counts=json.loads(label_counts),
                        signature=signature, computed_at=computed_at)


def _metric(row: tuple) -> WindowMetric:
    project_id, version_id, size, start, metric, source, value, low, high, n, note, details = row
    return WindowMetric(project_id=project_id, model_version_id=version_id, size_seconds=size, window_start=start,
                        metric=metric, source=source, value=value, low=low, high=high, n=n, note=note,
                        details=None if details is None else json.loads(details))


def windows(cursor: duckdb.DuckDBPyConnection, project_id: int, size_seconds: int, *,
            model_version_id: int | None = None, since: datetime | None = None,
            until: datetime | None = None) -> list[WindowCounts]:
    """Stored windows, by version then time, optionally of one version and in [since, until)."""
    rows = cursor.execute(
        f"SELECT {_WINDOW} FROM monitor_windows WHERE project_id = ? AND size_seconds = ? "
        "AND (? IS NULL OR model_version_id = ?) AND (? IS NULL OR window_start >= ?) "
        "AND (? IS NULL OR window_start < ?) ORDER BY model_version_id, window_start",
        [project_id, size_seconds, model_version_id, model_version_id, since, since, until, until]).fetchall()
    return [_counts(r) for r in rows]


def metrics(cursor: duckdb.DuckDBPyConnection, project_id: int, size_seconds: int, *,
            model_version_id: int | None = None, since: datetime | None = None, until: datetime | None = None,
            metric: str | None = None) -> list[WindowMetric]:
    """Stored metrics, by version, time, metric and source."""
    rows = cursor.execute(
        f"SELECT {_METRIC} FROM monitor_performance WHERE project_id = ? AND size_seconds = ? "
        "AND (? IS NULL OR model_version_id = ?) AND (? IS NULL OR window_start >= ?) "
        "AND (? IS NULL OR window_start < ?) AND (? IS NULL OR metric = ?) "
        "ORDER BY model_version_id, window_start, metric, source",
        [project_id, size_seconds, model_version_id, model_version_id, since, since, until, until, metric,
         metric]).fetchall()
    return [_metric(r) for r in rows]


def replace_window(cursor: duckdb.DuckDBPyConnection, counts: WindowCounts, values: list[WindowMetric]) -> None:
    """Store one window's counts and metrics in place of what was stored for it (caller's transaction)."""
    key = [counts.project_id, counts.model_version_id, counts.size_seconds, counts.window_start]
    where = "project_id = ? AND model_version_id = ? AND size_seconds = ? AND window_start = ?"
    cursor.execute(f"DELETE FROM monitor_performance WHERE {where}", key)
    cursor.execute(f"DELETE FROM monitor_windows WHERE {where}", key)
    cursor.execute(f"INSERT INTO monitor_windows ({_WINDOW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   key + [counts.predictions, counts.labelled, json.dumps(counts.label_counts, sort_keys=True),
                          counts.signature, counts.computed_at])
    if values:
        cursor.executemany(f"INSERT INTO monitor_performance ({_METRIC}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [key + [v.metric, v.source, v.value, v.low, v.high, v.n, v.note,
                                   None if v.details is None else json.dumps(v.details, allow_nan=False)]
                            for v in values])


def tracked(cursor: duckdb.DuckDBPyConnection, project_id: int, model_version_id: int) -> list[tuple[int, int, int, int]]:
    """How a version's performance is tracked: (window size in seconds, stored windows, predictions,
    labelled predictions) per size, smallest size first (the Govern stage's monitoring evidence)."""
    return [tuple(r) for r in cursor.execute(
        "SELECT size_seconds, count(*), sum(predictions), sum(labelled) FROM monitor_windows "
        "WHERE project_id = ? AND model_version_id = ? GROUP BY size_seconds ORDER BY size_seconds",
        [project_id, model_version_id]).fetchall()]
