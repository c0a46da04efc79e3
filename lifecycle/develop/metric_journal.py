"""A durable journal for metric points logged one at a time.

A single-row INSERT into DuckDB costs 1–2 ms whatever the settings (even in memory), while
appending a line to a file and ``fdatasync``-ing it costs about 0.3 ms here. So a point logged
on its own is appended to ``<workspace>.files/metrics.journal`` and is durable when the call
returns; the journal is folded into the ``run_metrics`` table in one batch every
``FOLD_EVERY`` points and before any read of step metrics, so readers always see every point.

Every line carries a sequence number, and the fold stores the last one it applied in the same
transaction as the points. A crash after that commit but before the file is emptied leaves
lines that the next fold skips, so nothing is written twice; a crash in the middle of an append
leaves a torn last line, which is dropped (its call never returned, so nobody was told it was
saved).
"""
from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from lifecycle.store import runs as run_store
from lifecycle.store import settings as settings_store
from lifecycle.workspace import Workspace

FOLD_EVERY = 1000
JOURNAL_NAME = "metrics.journal"
_APPLIED_KEY = "metric_journal_applied_seq"


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


class MetricJournal:
    """The journal of one workspace in this process (see :func:`journal_for`)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.path = workspace.artifacts_dir / JOURNAL_NAME
        self._lock = threading.Lock()
        self._file = None
        self._pending = 0
        self._next_seq: int | None = None

    # -- writing -----------------------------------------------------------------------
    def append(self, run_id: int, key: str, value: float, step: int) -> None:
        """Write one point durably (fdatasync) before returning."""
        with self._lock:
            if self._next_seq is None:
                self._recover()
            line = json.dumps([self._next_seq, run_id, key, value, step, time.time()], allow_nan=True) + "\n"
            handle = self._handle()
            handle.write(line.encode())
            handle.flush()
            os.fdatasync(handle.fileno())
            self._next_seq += 1
            self._pending += 1
            if self._pending >= FOLD_EVERY:
                self._fold()

    def fold(self) -> int:
        """Move every journalled point into ``run_metrics``; returns how many were moved."""
        with self._lock:
            if self._next_seq is None:
                return self._recover()
            return self._fold()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    # -- internals (called with the lock held) ---------------------------------------------
    def _handle(self):
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")
        return self._file

    def _applied(self) -> int:
        return int(settings_store.get(self.workspace.db.cursor(), _APPLIED_KEY, "0"))

    def _lines(self) -> list[list]:
        if not self.path.exists():
            return []
        records = []
        with open(self.path, "rb") as handle:
            for raw in handle:
                try:
                    records.append(json.loads(raw))
                except ValueError:
                    break  # a torn last line: its append never returned
        return records

    def _recover(self) -> int:
        """Pick up after an earlier process: fold what it left (so new lines number after its
        lines), then continue its numbering. Returns how many points were folded."""
        self._next_seq = self._applied() + 1
        self._pending = 1 if self.path.exists() and self.path.stat().st_size else 0
        return self._fold()

    def _fold(self) -> int:
        if not self._pending:
            return 0
        applied = self._applied()
        fresh = [r for r in self._lines() if r[0] > applied]
        if fresh:
            last = max(r[0] for r in fresh)
            rows = [(run_id, key, value, step, _utc(at)) for _, run_id, key, value, step, at in fresh]
            with self.workspace.db.transaction() as cursor:
                run_store.record_journalled_metrics(cursor, rows)
                settings_store.put(cursor, _APPLIED_KEY, str(last))
            self._next_seq = max(self._next_seq or 0, last + 1)
        handle = self._handle()
        handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())
        self._pending = 0
        return len(fresh)


_journals: dict[Path, MetricJournal] = {}
_journals_lock = threading.Lock()


def journal_for(workspace: Workspace) -> MetricJournal:
    """The process-wide journal of a workspace, created on first use.

    Keyed by the workspace's Database object as well as its path, so a workspace file closed and
    opened again gets a journal bound to the new handle.
    """
    key = workspace.path.resolve()
    with _journals_lock:
        found = _journals.get(key)
        if found is None or found.workspace.db is not workspace.db:
            if found is not None:
                found.close()
            found = MetricJournal(workspace)
            _journals[key] = found
        return found
