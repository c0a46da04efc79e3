"""Simulated labelled traffic through a running A/B test's split, so a test has outcomes to judge
(the demo's concluded test; tests of the page).

An A/B test counts the outcomes logged from its start on, so its traffic must come after the
start: the rows are timed evenly from the test's start to now and labelled at once. Rows are the
production version's held-out rows (``monitor.replay_rows``), drawn clean or with a drift (default:
the drift the project's simulated history ended with, as the app's live traffic continues it).
Each request goes where the scoring service would send it: the deployment manifest is loaded as the
service loads it (safe loader, compiled row path) and ``Live.route`` picks the version by request
id, so the split is the test's own; the answering version scores the rows and the service's log
writer writes them. The rows are marked simulated as the Monitor stage's simulator marks them
(request ids ``sim-ab…``, route ``simulated``).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.deploy.paths import deploy_dir, log_dir
from lifecycle.deploy.prediction_log import ANSWER, SHADOW, PredictionLog
from lifecycle.errors import InputError
from lifecycle.monitor.drift_spec import NO_DRIFT, parse_drift
from lifecycle.monitor.history import history_runs
from lifecycle.monitor.marks import HISTORY_ROUTE, SIMULATED_PREFIX
from lifecycle.problem.projects import get_project
from lifecycle.records import User
from lifecycle.store import abtests as abtest_store
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

DEFAULT_REQUEST_ROWS = 4
MAX_ROWS = 200_000


@dataclass(frozen=True, kw_only=True)
class SimulatedTraffic:
    """What :func:`simulate_test_traffic` wrote: rows and requests, the rows each version answered,
    the labels written and the drift the rows carried."""

    test_id: int
    rows: int
    requests: int
    answered: dict[int, int]  # version id -> rows it answered
    labels: int
    drift: str
    seconds: float


def simulate_test_traffic(workspace: Workspace, project_id: int, *, rows: int, drift: str | None = None,
                          seed: int = 0, request_rows: int = DEFAULT_REQUEST_ROWS,
                          actor: User | None = None) -> SimulatedTraffic:
    """Write ``rows`` labelled rows of simulated traffic through the project's running A/B test (timed
    from its start to now, in requests of ``request_rows`` rows routed by request id), with ``drift``
    (a drift spec; default the one its simulated history ended with). ``actor`` None is the app (the
    demo); a user needs SIMULATE_TRAFFIC. Raises PermissionDenied, InputError (no running test, a bad
    number of rows or drift), NotFound."""
    from lifecycle.deploy.live import Deployment
    from lifecycle.monitor.replay_rows import replay_rows
    from lifecycle.monitor.row_stream import RowStream

    began = time.perf_counter()
    if actor is not None:
        require(actor, Permission.SIMULATE_TRAFFIC)
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_ROWS:
        raise InputError(f"{rows!r} rows of traffic is not a number from 1 to {MAX_ROWS:,}.", "Give, e.g., 2000.")
    if isinstance(request_rows, bool) or not isinstance(request_rows, int) or request_rows < 1:
        raise InputError(f"{request_rows!r} rows a request is not a number of rows.", "Give 1 or more.")
    project = get_project(workspace, project_id)
    test = abtest_store.running(workspace.db.cursor(), project.id)
    if test is None:
        raise InputError(f"No A/B test is running on {project.name!r}, so there is no split to send traffic through.",
                         "Start one first (Retrain page or `abtest start`).")
    if drift is None:
        runs = history_runs(workspace.path, project.id)
        drift = runs[-1].get("live_drift", "") if runs else ""
    spec = parse_drift(drift) if drift else NO_DRIFT
    replay = replay_rows(workspace, project)
    spec.check(replay.schema, replay.task)
    sizes = [request_rows] * (rows // request_rows) + ([rows % request_rows] if rows % request_rows else [])
    start, end = test.started_at, utc_now()
    step = (end - start) / (len(sizes) + 1)
    moments = [start + step * (number + 1) for number in range(len(sizes))]
    row_times = [at for at, size in zip(moments, sizes) for _ in range(size)]
    drawn = RowStream(replay, spec, np.random.SeedSequence(seed)).take(spec.active_rows(0, row_times))
    tag = f"{SIMULATED_PREFIX}ab{test.id}-{seed}"
    deployment = Deployment(deploy_dir(workspace.path, project.id),
                            compiled=os.environ.get("LIFECYCLE_SERVE_COMPILED", "1") != "0")
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=2 * rows + 1, flush_seconds=3600)
    answered: Counter[int] = Counter()
    try:
        deployment.refresh()
        live = deployment.live
        if live is None:
            raise InputError(f"The versions of {project.name!r}'s A/B test cannot be loaded: {deployment.refusal}",
                             "Check the Deploy page; roll the test back if a version is gone.")
        first = 0
        for number, size in enumerate(sizes):
            request_id = f"{tag}-{number:06d}"
            at = moments[number]
            records = drawn.records[first:first + size]
            served = live.route(request_id)
            _log(log, served, ANSWER, request_id, at, records)
            answered[served.entry.version_id] += size
            if live.shadow is not None:
                _log(log, live.shadow, SHADOW, request_id, at, records)
            for position in range(size):
                log.feedback(request_id, drawn.labels[first + position], row=position, time=at)
            first += size
    finally:
        log.close()
        deployment.close()
    summary = SimulatedTraffic(test_id=test.id, rows=rows, requests=len(sizes), answered=dict(answered), labels=rows,
                               drift=str(spec), seconds=round(time.perf_counter() - began, 3))
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name if actor is not None else "system",
                         action="abtest.traffic_simulated", entity=f"abtest:{test.id}",
                         details={"project_id": project.id, "rows": rows, "requests": len(sizes), "drift": str(spec),
                                  "seed": seed, "answered": {str(k): v for k, v in answered.items()},
                                  "from": moments[0].isoformat(), "until": moments[-1].isoformat()})
    return summary


def _log(log: PredictionLog, served, role: str, request_id: str, at, records: list[dict[str, Any]]) -> None:
    """Score ``records`` with ``served`` as the service does and log them, with the scoring time."""
    began = time.perf_counter()
    results = served.score_rows(served.checker.check(records))
    latency = (time.perf_counter() - began) * 1000.0
    loaded = served.loaded
    classes = loaded.class_names
    outputs = ([dict(zip(map(str, classes), probs)) for _, probs in results]
               if classes and results and results[0][1] is not None else [])
    log.log(request_id=request_id, version_id=served.entry.version_id, version=served.entry.version, role=role,
            route=HISTORY_ROUTE, status=200, latency_ms=latency, inputs=records,
            predictions=[loaded.named(p) for p, _ in results], outputs=outputs, time=at,
            input_schema=served.entry.input_schema)

