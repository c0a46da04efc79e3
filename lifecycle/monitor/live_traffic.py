"""Live traffic while the app runs: in a demo workspace, each project holding simulated history
(``history.history_runs``) gets held-out rows replayed through its real scoring service at a low
rate (``LIFECYCLE_LIVE_TRAFFIC`` rows a second), with the drift its history ended with and the same
label delay and share, so the monitoring charts move. One daemon thread per project, started once
per process by the app where it starts the services (never in tests: it needs
``LIFECYCLE_AUTOSERVE`` on); it ends with the process or :func:`stop_live_traffic`.

The thread replays in chunks of about ``CHUNK_SECONDS`` of traffic, each through the service the
project runs now (found from its PID file, so a restart on another port is followed) and with the
held-out rows of the version in production now. Labels waiting for their delay are kept across
chunks. While the service is down, or a chunk fails, it waits and tries again; the reason is kept
in ``last_error`` and logged. A real (non-demo) workspace never gets simulated traffic.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lifecycle import config
from lifecycle.deploy import process
from lifecycle.deploy.paths import deploy_dir
from lifecycle.errors import LifecycleError
from lifecycle.monitor.drift_spec import parse_drift
from lifecycle.monitor.history import DEFAULT_LABEL_DELAY, history_runs
from lifecycle.monitor.replay_rows import cached_replay_rows, replay_rows
from lifecycle.monitor.simulate import LabelQueue, ServiceClient, ServiceUnreachable, replay
from lifecycle.records import Project
from lifecycle.workspace import Workspace

LOGGER = logging.getLogger("lifecycle.monitor.live_traffic")
CHUNK_SECONDS = 60.0  # traffic replayed per chunk, in seconds at the rate
RETRY_SECONDS = 5.0  # wait while the service is down
FAILED_SECONDS = 60.0  # wait after a chunk failed

_running: dict[tuple[str, int], "LiveTraffic"] = {}
_lock = threading.Lock()


@dataclass(eq=False)
class LiveTraffic:
    """One project's live traffic: its thread, the rows sent so far and the last problem met."""

    project_id: int
    project: str
    rate: float
    stop: threading.Event = field(default_factory=threading.Event)
    rows_sent: int = 0
    labels_sent: int = 0
    last_error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def start_live_traffic(workspace: Workspace, *, rate: float | None = None) -> list[LiveTraffic]:
    """Start (once per process and project) the live traffic of every project of a demo workspace
    that holds simulated history; ``rate`` in rows a second defaults to ``LIFECYCLE_LIVE_TRAFFIC``.
    Returns the projects' traffic (empty when the rate is 0 or the workspace is not a demo)."""
    from lifecycle.problem.projects import list_projects

    rate = config.live_traffic_rate() if rate is None else rate
    if rate <= 0 or not workspace.is_demo:
        return []
    started = []
    for project in list_projects(workspace):
        if not history_runs(workspace.path, project.id):
            continue
        key = (str(workspace.path), project.id)
        with _lock:
            traffic = _running.get(key)
            if traffic is None or not traffic.running:
                traffic = _running[key] = LiveTraffic(project_id=project.id, project=project.name, rate=rate)
                traffic.thread = threading.Thread(target=_run, args=(traffic, workspace, project),
                                                  name=f"live-traffic-{project.id}", daemon=True)
                traffic.thread.start()
        started.append(traffic)
    return started


def stop_live_traffic(workspace_path: Path | None = None, *, timeout: float = 10.0) -> int:
    """Stop the live traffic of one workspace (None: of every workspace); returns how many stopped."""
    with _lock:
        chosen = [key for key in _running if workspace_path is None or key[0] == str(workspace_path)]
        stopping = [_running.pop(key) for key in chosen]
    for traffic in stopping:
        traffic.stop.set()
    for traffic in stopping:
        if traffic.thread is not None:
            traffic.thread.join(timeout)
    return len(stopping)


def _run(traffic: LiveTraffic, workspace: Workspace, project: Project) -> None:
    labels = LabelQueue()
    chunk = 0
    while not traffic.stop.is_set():
        status = process.service_status(deploy_dir(workspace.path, project.id))
        if not (status.running and status.healthy and status.url):
            traffic.stop.wait(RETRY_SECONDS)
            continue
        client = ServiceClient(status.url)
        try:
            rows = cached_replay_rows(workspace.path, project.id) or replay_rows(workspace, project)
            run = history_runs(workspace.path, project.id)[-1]
            n_rows, before = max(1, math.ceil(traffic.rate * CHUNK_SECONDS)), traffic.rows_sent

            def advanced(fraction: float, _message: str) -> None:
                traffic.rows_sent = before + round(fraction * n_rows)
                traffic.labels_sent = labels.sent

            summary = replay(status.url, rows, n_rows=n_rows,
                             rate=traffic.rate, drift=parse_drift(run.get("live_drift")),
                             label_delay=float(run.get("label_delay", DEFAULT_LABEL_DELAY)),
                             label_share=float(run.get("label_share", 1.0)), seed=int(run.get("seed", 0)) + chunk,
                             labels=labels, cancel=traffic.stop, client=client, progress=advanced)
            traffic.rows_sent = before + summary.rows_sent
            traffic.labels_sent = labels.sent
            traffic.last_error = None
        except ServiceUnreachable as error:  # stopped or restarting: look for it again soon
            traffic.last_error = str(error)
            traffic.stop.wait(RETRY_SECONDS)
        except LifecycleError as error:
            traffic.last_error = str(error)
            LOGGER.warning("Live traffic of %s paused: %s", project.name, error)
            traffic.stop.wait(FAILED_SECONDS)
        except Exception as error:  # noqa: BLE001 - the thread outlives any one failure, said in the log
            traffic.last_error = f"{type(error).__name__}: {error}"
            LOGGER.exception("Live traffic of %s failed", project.name)
            traffic.stop.wait(FAILED_SECONDS)
        finally:
            client.close()
        chunk += 1
