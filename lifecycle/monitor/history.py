"""Simulated history: days of past traffic written straight into a project's prediction and
feedback logs, so monitoring has something to show from the first minute (the demo) and drift
and performance tests have traffic with a known drift in it.

Each day holds ``rows_per_day`` held-out rows (``replay_rows``) in requests of ``request_rows``
rows at times drawn uniformly over the day. Every request is routed, scored and logged as the
scoring service does it: its ``Deployment`` loads the manifest's versions (safe loader, compiled
row path), ``Live.route`` picks the answering version by request id, the version's own
``score_rows`` answers, a shadow scores the same rows, and ``PredictionLog.log`` writes the row
(inputs, prediction as the target names it, class probabilities). ``latency_ms`` is the time the
scoring path took for that request while the history was written (no HTTP in it); it is the one
value a seed does not fix. Rows are marked as simulated (``monitor.marks``: request id ``sim-h…``,
route ``simulated``).

The drift (a ``DriftSpec``) applies from day ``start_drift_day`` on (0 = the oldest day), and from
its own ``after:``/``from:`` when it has them. A ``label_share`` of the rows gets its true label
in the feedback log ``label_delay`` seconds after its prediction; a label due after the end of
the history has not arrived and is not written.

The history ends now, or at the oldest row already logged, so it never interleaves with real
traffic. Everything is scored before anything is written: bad input or a model that cannot
score writes nothing. Then one prediction segment per day and one feedback segment are written
(whole files, renamed into place), and the run is recorded in ``simulation/<project id>/history.json``
beside the workspace (what the app's live traffic continues) and on the audit trail.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.config import limits
from lifecycle.deploy.paths import deploy_dir, log_dir, predictions_dir
from lifecycle.deploy.prediction_log import ANSWER, SHADOW, PredictionLog
from lifecycle.errors import InputError
from lifecycle.monitor.drift_spec import NO_DRIFT, DriftSpec, parse_drift
from lifecycle.monitor.marks import HISTORY_ROUTE, SIMULATED_PREFIX
from lifecycle.monitor.replay_rows import simulation_dir
from lifecycle.progress import Progress, quiet
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import prediction_log as log_store
from lifecycle.workspace import Workspace

DAY = timedelta(days=1)
DEFAULT_REQUEST_ROWS = 10
DEFAULT_LABEL_DELAY = 3600.0  # seconds: a simulated label arrives an hour after its prediction
HISTORY_FILE = "history.json"


@dataclass(frozen=True, kw_only=True)
class HistorySummary:
    """What :func:`write_history` wrote: the period, rows, requests, drift and labels."""

    project_id: int
    version_id: int  # the version in production (answering all traffic when it is alone)
    start: datetime  # naive UTC, inclusive
    end: datetime  # exclusive
    days: int
    rows: int
    requests: int
    drifted_rows: int
    drift: str  # the spec, as written
    drift_from: datetime | None  # time of the first drifted row (None: no row drifted)
    labels: int  # feedback rows written
    labels_pending: int  # labels due after ``end``: not arrived, not written
    segments: tuple[str, ...]  # the files written (prediction segments, then feedback)
    seconds: float  # time taken


@dataclass(frozen=True)
class _Request:
    request_id: str
    at: datetime
    version_id: int
    version: int
    role: str
    latency_ms: float
    inputs: list[dict[str, Any]]
    predictions: list[Any]
    outputs: list[Any]
    input_schema: tuple = ()  # the version's (types the logged inputs)


def write_history(workspace: Workspace, project_id: int, *, days: int, rows_per_day: int,
                  drift: DriftSpec | str = NO_DRIFT, start_drift_day: int = 0,
                  label_delay: float = DEFAULT_LABEL_DELAY, label_share: float = 1.0,
                  request_rows: int = DEFAULT_REQUEST_ROWS, seed: int = 0, end: datetime | None = None,
                  actor: User | None = None, progress: Progress = quiet) -> HistorySummary:
    """Write ``days`` days of simulated traffic (``rows_per_day`` rows each) ending at ``end``
    (default now, or the oldest logged row if that is earlier) into the project's logs, scored by
    the version(s) in production, with ``drift`` from day ``start_drift_day`` (0-based, oldest
    first) and labels for a ``label_share`` of rows ``label_delay`` seconds after each prediction.

    Deterministic for a ``seed`` and ``end``, except ``latency_ms`` (measured). ``actor`` None is
    the app itself (the demo); a user needs ``Permission.SIMULATE_TRAFFIC``. Raises
    PermissionDenied, InputError (bad settings, a drift that does not fit the model, nothing in
    production, no held-out rows), NotFound (no such project)."""
    from lifecycle.deploy.live import Deployment
    from lifecycle.monitor.replay_rows import replay_rows
    from lifecycle.monitor.row_stream import RowStream
    from lifecycle.problem.projects import get_project

    began = time.perf_counter()
    if actor is not None:
        require(actor, Permission.SIMULATE_TRAFFIC)
    spec = parse_drift(drift) if isinstance(drift, str) else drift
    _check(days=days, rows_per_day=rows_per_day, start_drift_day=start_drift_day, label_delay=label_delay,
           label_share=label_share, request_rows=request_rows)
    project = get_project(workspace, project_id)
    rows = replay_rows(workspace, project)
    spec.check(rows.schema, rows.task)
    log_folder = log_dir(workspace.path, project.id)
    end = _end(log_folder, end)
    start = end - days * DAY
    row_seed, time_seed, label_seed = np.random.SeedSequence(seed).spawn(3)
    stream = RowStream(rows, spec, row_seed)
    times, choose = np.random.default_rng(time_seed), np.random.default_rng(label_seed)
    deployment = Deployment(deploy_dir(workspace.path, project.id),
                            compiled=os.environ.get("LIFECYCLE_SERVE_COMPILED", "1") != "0")
    by_day: list[list[_Request]] = []
    feedback: list[tuple[str, int, Any, datetime]] = []
    pending = drifted_rows = row_number = 0
    drift_from: datetime | None = None
    tag = f"{SIMULATED_PREFIX}h{start:%Y%m%d%H%M%S}"
    try:
        deployment.refresh()
        live = deployment.live
        if live is None:
            raise InputError(f"The production model of {project.name!r} cannot be loaded: {deployment.refusal}",
                             "Promote a version again on the Deploy page.")
        for day in range(days):
            progress(day / days, f"Scoring simulated day {day + 1} of {days}")
            day_start = start + day * DAY
            sizes = _sizes(rows_per_day, request_rows)
            offsets = np.sort(times.uniform(0.0, DAY.total_seconds(), len(sizes)))
            moments = [day_start + timedelta(microseconds=int(offset * 1_000_000)) for offset in offsets]
            row_times = [moment for moment, size in zip(moments, sizes) for _ in range(size)]
            mask = spec.active_rows(row_number, row_times) & (day >= start_drift_day)
            drawn = stream.take(mask)  # the day's rows at once, then cut into requests
            labelled = choose.random(rows_per_day) < label_share
            if mask.any() and drift_from is None:
                drift_from = row_times[int(np.argmax(mask))]
            drifted_rows += int(mask.sum())
            row_number += rows_per_day
            logged: list[_Request] = []
            first = 0
            for number, (size, at) in enumerate(zip(sizes, moments)):
                request_id = f"{tag}-{day:03d}-{number:06d}"
                records = drawn.records[first:first + size]
                served = live.route(request_id)
                logged.append(_scored(served, ANSWER, request_id, at, records))
                if live.shadow is not None:
                    logged.append(_scored(live.shadow, SHADOW, request_id, at, records))
                for position in np.flatnonzero(labelled[first:first + size]):
                    arrives = at + timedelta(seconds=label_delay)
                    if arrives < end:
                        feedback.append((request_id, int(position), drawn.labels[first + position], arrives))
                    else:
                        pending += 1
                first += size
            by_day.append(logged)
    finally:
        deployment.close()
    progress(0.95, "Writing the simulated history into the prediction log")
    segments = _write(log_folder, by_day, feedback)
    summary = HistorySummary(project_id=project.id, version_id=live.manifest.production.version_id, start=start,
                             end=end, days=days, rows=days * rows_per_day,
                             requests=sum(1 for logged in by_day for r in logged if r.role == ANSWER),
                             drifted_rows=drifted_rows, drift=str(spec), drift_from=drift_from, labels=len(feedback),
                             labels_pending=pending, segments=segments,
                             seconds=round(time.perf_counter() - began, 3))
    _record(workspace, actor, project.id, summary, spec, label_delay=label_delay, label_share=label_share, seed=seed)
    progress(1.0, f"Simulated history written: {summary.rows:,} rows over {days} days")
    return summary


def history_runs(workspace_path: Path, project_id: int) -> list[dict[str, Any]]:
    """The simulated histories written for a project, oldest first, as ``history.json`` keeps them
    (``[]`` when there is none): each with ``start``, ``end``, ``rows``, ``drift`` (as written),
    ``live_drift`` (the drift still on at the end, for live traffic to continue), ``label_delay``,
    ``label_share``, ``seed`` and ``version_id``."""
    path = simulation_dir(workspace_path, project_id) / HISTORY_FILE
    try:
        runs = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return runs if isinstance(runs, list) else []


def _check(*, days: int, rows_per_day: int, start_drift_day: int, label_delay: float, label_share: float,
           request_rows: int) -> None:
    if not isinstance(days, int) or days < 1:
        raise InputError(f"{days!r} days of history is not a number of days.", "Give 1 or more days.")
    if not isinstance(rows_per_day, int) or rows_per_day < 1:
        raise InputError(f"{rows_per_day!r} rows a day is not a number of rows.", "Give 1 or more rows a day.")
    most = limits().max_rows
    if days * rows_per_day > most:
        raise InputError(f"{days * rows_per_day:,} rows of history is over the limit of {most:,} "
                         "(LIFECYCLE_MAX_ROWS).", "Write fewer days or fewer rows a day.")
    if not isinstance(start_drift_day, int) or not 0 <= start_drift_day < days:
        raise InputError(f"The drift cannot start on day {start_drift_day!r} of a {days}-day history.",
                         f"Give a day from 0 (the oldest) to {days - 1}.")
    if not (label_delay >= 0 and math.isfinite(label_delay)):
        raise InputError(f"A label delay of {label_delay!r} seconds is not a delay.", "Give seconds, 0 or more.")
    if not 0.0 <= label_share <= 1.0:
        raise InputError(f"A label share of {label_share!r} is outside 0 to 1.", "Give a share, for example 0.8.")
    if not isinstance(request_rows, int) or request_rows < 1:
        raise InputError(f"{request_rows!r} rows a request is not a number of rows.", "Give 1 or more.")


def _end(log_folder: Path, end: datetime | None) -> datetime:
    """``end`` (default now), moved back to the oldest logged row so the history precedes it."""
    end = end or utc_now()
    oldest, _ = log_store.prediction_rows(predictions_dir(log_folder), role=None, limit=1)
    if len(oldest):
        first = oldest["time"].iloc[0].to_pydatetime()
        end = min(end, first)
    return end.replace(microsecond=0)


def _sizes(rows: int, per_request: int) -> list[int]:
    full, rest = divmod(rows, per_request)
    return [per_request] * full + ([rest] if rest else [])


def _scored(served, role: str, request_id: str, at: datetime, records: list[dict[str, Any]]) -> _Request:
    began = time.perf_counter()
    results = served.score_rows(served.checker.check(records))
    latency = (time.perf_counter() - began) * 1000.0
    loaded = served.loaded
    classes = loaded.class_names
    outputs = ([dict(zip(map(str, classes), probs)) for _, probs in results]
               if classes and results and results[0][1] is not None else [])
    return _Request(request_id=request_id, at=at, version_id=served.entry.version_id, version=served.entry.version,
                    role=role, latency_ms=latency, inputs=records,
                    predictions=[loaded.named(p) for p, _ in results], outputs=outputs,
                    input_schema=served.entry.input_schema)


def _write(log_folder: Path, by_day: list[list[_Request]], feedback: list[tuple[str, int, Any, datetime]]
           ) -> tuple[str, ...]:
    """One prediction segment per day and one feedback segment, through the service's own writer."""
    total = sum(len(r.inputs) for day in by_day for r in day) + len(feedback) + 1
    log = PredictionLog(log_folder, flush_rows=total, flush_seconds=DAY.total_seconds())
    written: list[Path] = []
    try:
        for day in by_day:
            for r in day:
                log.log(request_id=r.request_id, version_id=r.version_id, version=r.version, role=r.role,
                        route=HISTORY_ROUTE, status=200, latency_ms=r.latency_ms, inputs=r.inputs,
                        predictions=r.predictions, outputs=r.outputs, time=r.at, input_schema=r.input_schema)
            segment = log.predictions.flush()
            if segment is not None:
                written.append(segment)
        for request_id, row, label, at in sorted(feedback, key=lambda item: item[3]):
            log.feedback(request_id, label, row=row, time=at)
        segment = log.feedback_writer.flush()
        if segment is not None:
            written.append(segment)
    finally:
        log.close()
    return tuple(str(p) for p in written)


def _record(workspace: Workspace, actor: User | None, project_id: int, summary: HistorySummary, spec: DriftSpec, *,
            label_delay: float, label_share: float, seed: int) -> None:
    """Keep the run in ``history.json`` (written whole, then renamed) and on the audit trail."""
    live_drift = DriftSpec(shifts=spec.shifts, weights=spec.weights, label_rate=spec.label_rate) \
        if summary.drift_from is not None else NO_DRIFT
    run = {"start": summary.start.isoformat(), "end": summary.end.isoformat(), "rows": summary.rows,
           "drift": summary.drift, "drift_from": summary.drift_from.isoformat() if summary.drift_from else None,
           "live_drift": str(live_drift), "label_delay": label_delay, "label_share": label_share, "seed": seed,
           "version_id": summary.version_id, "written_at": utc_now().isoformat(timespec="seconds")}
    folder = simulation_dir(workspace.path, project_id)
    folder.mkdir(parents=True, exist_ok=True)
    runs = history_runs(workspace.path, project_id) + [run]
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".history-", suffix=".partial")
    with os.fdopen(fd, "w") as handle:
        json.dump(runs, handle, indent=1)
    os.replace(temporary, folder / HISTORY_FILE)
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name if actor is not None else "system",
                         action="monitor.history_simulated", entity=f"project:{project_id}",
                         details={key: run[key] for key in ("start", "end", "rows", "drift", "drift_from",
                                                            "label_delay", "label_share", "seed")})
