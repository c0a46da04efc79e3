"""Drift of a project's traffic against its model version's reference: computed per window from
the prediction log, stored, and computed again only where the log changed.

``refresh_drift`` finds the windows of the production version's answered rows (one cheap count
over the log's time column), and computes the statistics of each window that is new, whose row
count changed since it was stored (the open window, segments that arrived late, a clock set
back), or that was still open when stored. Everything else is read from the workspace, so a
chart never recomputes history. ``compute_windows`` is the computation itself, from a log folder
and a reference: one DuckDB pass over the Parquet segments (``store.drift_log``), then the
statistics per feature (``drift_columns``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from lifecycle.clock import utc_now
from lifecycle.deploy.paths import log_dir, predictions_dir
from lifecycle.errors import InputError
from lifecycle.monitor import drift_config
from lifecycle.monitor.drift_columns import MonitoredColumn
from lifecycle.monitor.drift_decisions import is_complete
from lifecycle.monitor.reference import SYSTEM, build_reference, load_columns
from lifecycle.monitor.windows import format_size
from lifecycle.progress import Progress, quiet
from lifecycle.records import DriftStatistics, ModelVersion, User
from lifecycle.store import audit_log
from lifecycle.store import deployments as deployment_store
from lifecycle.store import drift_log
from lifecycle.store import models as model_store
from lifecycle.store import monitor_drift as drift_store
from lifecycle.store.prediction_log import segments
from lifecycle.workspace import Workspace

EXACT_ROWS = 10_000  # windows with at most this many rows are compared value by value


@dataclass(frozen=True, kw_only=True)
class DriftRefresh:
    """What a refresh did: the windows it computed (starts), how many windows are on record for
    the version and size, the rows it read, the log segments it skipped (name, reason), and
    ``note`` when there was nothing to compute from (no version in production, no log yet)."""

    project_id: int
    model_version_id: int | None
    size_seconds: int
    computed: tuple[datetime, ...] = ()
    stored: int = 0
    rows_read: int = 0
    reference_built: bool = False
    skipped_segments: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    note: str = ""
    windows_in_log: int = 0
    completed: tuple[datetime, ...] = field(default=())  # computed windows that are now complete


def production_version(workspace: Workspace, project_id: int) -> ModelVersion | None:
    """The version answering the project's traffic in production, or None."""
    cursor = workspace.db.cursor()
    serving = [d for d in deployment_store.active(cursor, project_id) if d.role == "production"]
    return model_store.get_version(cursor, serving[0].model_version_id) if serving else None


def log_folder(workspace: Workspace, project_id: int) -> Path:
    """The folder of the project's prediction-log segments."""
    return predictions_dir(log_dir(workspace.path, project_id))


def columns_cache(workspace: Workspace, project_id: int) -> Path:
    """The folder where each log segment's drift values are kept parsed (``store.log_columns``),
    beside the log: deleting the project's logs deletes it too."""
    return log_dir(workspace.path, project_id) / "columns"


def compute_windows(folder: Path, columns: Sequence[MonitoredColumn], *, project_id: int, version_id: int,
                    size_seconds: int, windows: Sequence[tuple[datetime, int]], now: datetime,
                    files: Sequence[Path] | None = None, threads: int | None = None,
                    cache: Path | None = None) -> list[DriftStatistics]:
    """The statistics of every column in each of ``windows`` (start, rows in the log), from the
    segments in ``folder`` (or ``files``, already checked), stamped as computed at ``now``.
    ``cache``: a folder where each segment's values are kept parsed, so a segment's JSON is read
    once (the statistics are the same with or without it)."""
    if not windows:
        return []
    if files is None:
        files = segments(folder).files
    aggregates = drift_log.window_aggregates(
        files, version_id=version_id, size_seconds=size_seconds, windows=[start for start, _ in windows],
        exact_windows=[start for start, rows in windows if rows <= EXACT_ROWS],
        columns=[c.log_column() for c in columns], threads=threads, cache=cache)
    out = []
    for window in aggregates:
        for column, aggregate in zip(columns, window.columns):
            fields = column.statistics(aggregate, window.rows)
            out.append(DriftStatistics(project_id=project_id, model_version_id=version_id, size_seconds=size_seconds,
                                       window_start=window.start, source=column.column.source,
                                       feature=column.column.name, kind=column.column.kind, computed_at=now, **fields))
    return out


def _stale(counts: Sequence[tuple[datetime, int]], stored: dict, size_seconds: int) -> list[tuple[datetime, int]]:
    todo = []
    for start, rows in counts:
        known = stored.get(start)
        end = start + timedelta(seconds=size_seconds)
        if known is None or known[0] != rows or not is_complete(known[1], end):
            todo.append((start, rows))
    return todo


def refresh_drift(workspace: Workspace, project_id: int, *, size_seconds: int | None = None,
                  now: datetime | None = None, progress: Progress | None = None, actor: User | None = None,
                  version_id: int | None = None, since: datetime | None = None) -> DriftRefresh:
    """Compute and store the drift of every window not stored yet (or changed, or still open).

    ``size_seconds``: the window size (default: the project's rule, 1 hour unless changed);
    ``now``: the time the computation is stamped with (default: the clock); ``version_id``: the
    version whose traffic is judged (default: the one in production); ``since``: look at the log
    from then on only; ``actor``: who is recorded for a reference built on the way (``system``
    when None). Returns what was done; nothing is written when nothing changed."""
    started = time.perf_counter()
    report = progress or quiet
    now = now or utc_now()
    config = drift_config.drift_rules(workspace, project_id)
    size = int(size_seconds or config.window_seconds)
    if version_id is not None:
        version = model_store.get_version(workspace.db.cursor(), version_id)
        if version is None or version.project_id != project_id:
            raise InputError(f"Model version #{version_id} is not a version of project #{project_id}.",
                             "Pick a version of this project.")
    else:
        version = production_version(workspace, project_id)
    if version is None:
        return DriftRefresh(project_id=project_id, model_version_id=None, size_seconds=size,
                            note="No version of this project is in production, so there is no traffic to judge.")
    report(0.05, "Reading the reference")
    had_reference = drift_store.reference_for(workspace.db.cursor(), version.id) is not None
    profile = build_reference(workspace, actor, version)
    columns = load_columns(workspace, profile)
    report(0.2, "Counting the log's windows")
    counts, found = drift_log.window_counts(log_folder(workspace, project_id), version_id=version.id,
                                            size_seconds=size, since=since)
    stored = drift_store.stored_windows(workspace.db.cursor(), project_id=project_id, model_version_id=version.id,
                                        size_seconds=size)
    todo = _stale(counts, stored, size)
    base = dict(project_id=project_id, model_version_id=version.id, size_seconds=size,
                reference_built=not had_reference, skipped_segments=found.skipped, windows_in_log=len(counts))
    if not todo:
        return DriftRefresh(**base, stored=len(stored), seconds=time.perf_counter() - started,
                            note="" if counts else "No answered request of this version in the log yet.")
    report(0.3, f"Computing {len(todo)} window(s) of {format_size(size)}")
    statistics = compute_windows(log_folder(workspace, project_id), columns, project_id=project_id,
                                 version_id=version.id, size_seconds=size, windows=todo, now=now, files=found.files,
                                 cache=columns_cache(workspace, project_id))
    completed = tuple(start for start, _ in todo if is_complete(now, start + timedelta(seconds=size)))
    report(0.9, "Storing")
    with workspace.db.transaction() as cursor:
        drift_store.replace_windows(cursor, statistics)
        if completed:
            audit_log.append(cursor, actor=actor.name if actor is not None else SYSTEM, action="monitor.drift_computed",
                             entity=f"model:{version.id}",
                             details={"project_id": project_id, "window": format_size(size),
                                      "windows": len(completed), "first": completed[0].isoformat(),
                                      "last": completed[-1].isoformat()})
        on_record = len(drift_store.stored_windows(cursor, project_id=project_id, model_version_id=version.id,
                                                   size_seconds=size))
    report(1.0, "Done")
    return DriftRefresh(**base, computed=tuple(start for start, _ in todo), stored=on_record,
                        rows_read=sum(rows for _, rows in todo), seconds=time.perf_counter() - started,
                        completed=completed)
