"""The app's background refresher: one daemon thread per workspace that runs ``refresh.refresh``
for every project with a version in production, every ``LIFECYCLE_MONITOR_REFRESH_SECONDS``
seconds, so drift, performance and alerts stay current while the app runs (no separate daemon:
the thread lives and dies with the app process; ``monitor refresh`` does the same for pipelines).

Started once per process where the app starts the scoring services (``LIFECYCLE_AUTOSERVE`` on);
never in tests unless a test starts it. A failed refresh is logged and kept in ``last_error``;
the thread tries again at the next round.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from lifecycle.clock import utc_now
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.refresh import refresh
from lifecycle.problem.projects import list_projects
from lifecycle.workspace import Workspace

LOGGER = logging.getLogger("lifecycle.monitor.autorefresh")
_running: dict[str, "AutoRefresh"] = {}
_last: dict[tuple[str, int], datetime] = {}
_lock = threading.Lock()


@dataclass(eq=False)
class AutoRefresh:
    """One workspace's refresher: its period, rounds done, the last problem met, and its thread."""

    every_seconds: float
    stop: threading.Event = field(default_factory=threading.Event)
    rounds: int = 0
    last_error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def last_refresh(workspace: Workspace, project_id: int) -> datetime | None:
    """When this process last finished a refresh of the project (background or ``refresh_now``), or None."""
    with _lock:
        return _last.get((str(workspace.path), project_id))


def refresh_now(workspace: Workspace, project_id: int, **keywords):
    """``refresh.refresh`` and note when it finished (what :func:`last_refresh` reads)."""
    done = refresh(workspace, project_id, **keywords)
    with _lock:
        _last[(str(workspace.path), project_id)] = utc_now()
    return done


def refresh_round(workspace: Workspace) -> int:
    """Refresh every project with a version in production once; returns how many were refreshed."""
    count = 0
    for project in list_projects(workspace):
        if production_version(workspace, project.id) is None:
            continue
        refresh_now(workspace, project.id)
        count += 1
    return count


def _loop(workspace: Workspace, worker: AutoRefresh) -> None:
    while not worker.stop.is_set():
        try:
            refresh_round(workspace)
            worker.last_error = None
        except Exception as error:  # logged and retried next round: the app keeps running
            worker.last_error = str(error)
            LOGGER.exception("Monitoring refresh failed; trying again in %.0f s", worker.every_seconds)
        worker.rounds += 1
        worker.stop.wait(worker.every_seconds)


def start_auto_refresh(workspace: Workspace, every_seconds: float) -> AutoRefresh | None:
    """Start the workspace's refresher (once per process: a second call returns the running one);
    None when ``every_seconds`` is 0 (off)."""
    if every_seconds <= 0:
        return None
    key = str(workspace.path)
    with _lock:
        current = _running.get(key)
        if current is not None and current.running:
            return current
        worker = AutoRefresh(every_seconds=every_seconds)
        worker.thread = threading.Thread(target=_loop, args=(workspace, worker), daemon=True,
                                         name=f"monitor-refresh {workspace.path.name}")
        _running[key] = worker
    worker.thread.start()
    return worker


def stop_auto_refresh(workspace: Workspace, timeout: float = 30.0) -> None:
    """Stop the workspace's refresher after its current round."""
    with _lock:
        worker = _running.pop(str(workspace.path), None)
    if worker is not None:
        worker.stop.set()
        if worker.thread is not None:
            worker.thread.join(timeout)
