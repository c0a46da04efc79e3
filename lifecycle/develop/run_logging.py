"""Step-wise metrics of a run (a loss per epoch, a score per boosting round).

Three ways in:

- :func:`log_metric` writes one point durably now: it is appended to the workspace's metric
  journal (:mod:`lifecycle.develop.metric_journal`) and fsynced, which is several times cheaper than a
  one-row database commit; the journal is folded into the table in batches and before reads;
- :func:`log_metrics` writes a batch now, in one INSERT (any number of points; many go in as
  one Arrow batch);
- :class:`MetricLogger` buffers single points in memory and writes them as one batch every
  ``flush_every`` points, every ``flush_seconds``, on :meth:`~MetricLogger.flush` and when its
  ``with`` block ends, so a training loop pays microseconds per point. Points logged since
  the last flush are lost if the process dies: the same trade MLflow's asynchronous logging
  makes.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Iterable, Mapping

from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.develop.metric_journal import journal_for
from lifecycle.records import User
from lifecycle.store import runs as run_store
from lifecycle.workspace import Workspace

Point = tuple[str, float, int]


def _checked(points: Iterable[Point]) -> list[Point]:
    out = []
    for key, value, step in points:
        if not isinstance(key, str) or not key or len(key) > 250:
            raise InputError(f"Metric name {key!r} is empty, not text or longer than 250 characters.",
                             "Use a short name such as 'loss'.")
        value = float(value)
        if math.isinf(value):
            raise InputError(f"Metric {key!r} has the infinite value {value} at step {step}.",
                             "Log a finite number (NaN is allowed for a missing value).")
        out.append((key, value, int(step)))
    return out


# Runs are never deleted, so a run once found stays found (per workspace file).
_known_runs: set[tuple[Path, int]] = set()


def _check_run(workspace: Workspace, run_id: int) -> None:
    key = (workspace.path, run_id)
    if key in _known_runs:
        return
    if run_store.get_run(workspace.db.cursor(), run_id) is None:
        raise NotFound(f"No run with id {run_id}.", "Log metrics to a run on record.")
    _known_runs.add(key)


def log_metric(workspace: Workspace, actor: User, run_id: int, key: str, value: float, step: int = 0) -> None:
    """Write one point of a run durably before returning (through the metric journal)."""
    require(actor, Permission.TRAIN)
    ((key, value, step),) = _checked([(key, value, step)])
    _check_run(workspace, run_id)
    journal_for(workspace).append(run_id, key, value, step)


def log_metrics(workspace: Workspace, actor: User, run_id: int, points: Iterable[Point]) -> int:
    """Write (name, value, step) points of a run now; returns how many were written."""
    require(actor, Permission.TRAIN)
    checked = _checked(points)
    _check_run(workspace, run_id)
    # One INSERT (of values, or from an Arrow batch): atomic on its own, no transaction needed.
    return run_store.record_metrics(workspace.db.cursor(), run_id, checked)


def history(workspace: Workspace, run_id: int, key: str) -> list[tuple[int, float]]:
    """(step, value) of one metric of a run, by step (journalled points included)."""
    journal_for(workspace).fold()
    return run_store.metric_history(workspace.db.cursor(), run_id, key)


class MetricLogger:
    """Buffered metric points of one run; use as a context manager so the rest is flushed."""

    def __init__(self, workspace: Workspace, actor: User, run_id: int, *, flush_every: int = 5000,
                 flush_seconds: float = 1.0):
        require(actor, Permission.TRAIN)
        _check_run(workspace, run_id)
        self.workspace, self.run_id = workspace, run_id
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self._buffer: list[Point] = []
        self._last_flush = time.monotonic()
        self.written = 0

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        self._buffer.extend(_checked([(key, value, step)]))
        if len(self._buffer) >= self.flush_every or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def log_metrics(self, values: Mapping[str, float], step: int = 0) -> None:
        for key, value in values.items():
            self.log_metric(key, value, step)

    def flush(self) -> int:
        """Write what is buffered (one INSERT); returns how many points were written."""
        points, self._buffer = self._buffer, []
        self._last_flush = time.monotonic()
        if not points:
            return 0
        written = run_store.record_metrics(self.workspace.db.cursor(), self.run_id, points)
        self.written += written
        return written

    def __enter__(self) -> MetricLogger:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()
