"""A project's traffic per window, as the Monitor page charts it: requests, rows, error rate and
latency p50 / p95 / p99 of every window in a time range, read from the prediction log with one
DuckDB query (``store.prediction_log.traffic_windows``); windows without a request are zeros, so a
chart shows the gap instead of a line across it.

Unlike the Deploy page's last minutes (what the service itself answered), monitoring counts the
simulator's history too: it is the traffic the model's monitoring is judged on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from lifecycle.monitor.drift import log_folder
from lifecycle.monitor.windows import windows_between
from lifecycle.store import prediction_log as log_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class WindowTraffic:
    """One window: requests and rows answered, errors (status >= 400), latency percentiles in ms
    (None without a request)."""

    start: datetime
    requests: int
    rows: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def error_rate(self) -> float | None:
        """Share of requests answered with an error (None without a request)."""
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True, kw_only=True)
class TrafficSeries:
    """Every window of ``size_seconds`` from ``since`` to ``until``, oldest first, and the log
    segments skipped as torn ("name: reason")."""

    since: datetime
    until: datetime
    size_seconds: int
    windows: tuple[WindowTraffic, ...]
    skipped: tuple[str, ...]

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.windows)

    @property
    def errors(self) -> int:
        return sum(w.errors for w in self.windows)


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def traffic_series(workspace: Workspace, project_id: int, *, since: datetime, until: datetime,
                   size_seconds: int) -> TrafficSeries:
    """The project's answered traffic per window of ``size_seconds`` in [since, until) (UTC)."""
    frame, found = log_store.traffic_windows(log_folder(workspace, project_id), since, until, size_seconds)
    rows = {row["window_start"].to_pydatetime() if hasattr(row["window_start"], "to_pydatetime")
            else row["window_start"]: row for row in frame.to_dict("records")}
    windows = []
    for window in windows_between(since, until, size_seconds):
        if window.start >= until:
            break
        row = rows.get(window.start)
        windows.append(WindowTraffic(start=window.start, requests=int(row["requests"]) if row else 0,
                                     rows=int(row["rows"]) if row else 0, errors=int(row["errors"]) if row else 0,
                                     p50_ms=_number(row["p50_ms"]) if row else None,
                                     p95_ms=_number(row["p95_ms"]) if row else None,
                                     p99_ms=_number(row["p99_ms"]) if row else None))
    return TrafficSeries(since=since, until=until, size_seconds=size_seconds, windows=tuple(windows),
                         skipped=tuple(f"{name}: {why}" for name, why in found.skipped))
