"""One refresh of a project's monitoring: what ``monitor refresh`` and the app's refresh run.

A refresh is a list of steps run in order (``STEPS``), each given the same keywords and
returning its own report; later steps may read what earlier ones stored (alerts read drift's
confirmations). Today it computes drift; performance from feedback and alerts are added as
further steps, after drift.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from lifecycle.clock import utc_now
from lifecycle.monitor.drift import DriftRefresh, refresh_drift
from lifecycle.progress import Progress, quiet
from lifecycle.records import User
from lifecycle.workspace import Workspace

Step = Callable[..., Any]  # step(workspace, project_id, *, now, actor, progress) -> its report


def drift_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
               progress: Progress) -> DriftRefresh:
    """Drift on the project's window size (``refresh_drift``)."""
    return refresh_drift(workspace, project_id, now=now, actor=actor, progress=progress)


# The steps, in order: (name, step). Performance (labels joined to predictions, estimated before
# they arrive) goes after drift; alerts go last, as they read what the others stored.
STEPS: list[tuple[str, Step]] = [
    ("drift", drift_step),
]


@dataclass(frozen=True, kw_only=True)
class MonitorRefresh:
    """What each step of a refresh reported (step name -> its report), and the time it took."""

    project_id: int
    reports: dict[str, Any]
    seconds: float

    @property
    def drift(self) -> DriftRefresh:
        return self.reports["drift"]


def refresh(workspace: Workspace, project_id: int, *, actor: User | None = None, now: datetime | None = None,
            progress: Progress | None = None) -> MonitorRefresh:
    """Run every step of ``STEPS`` for the project, in order, stamped at ``now`` (default: the clock)."""
    started = time.perf_counter()
    now = now or utc_now()
    report = progress or quiet
    reports: dict[str, Any] = {}
    for position, (name, step) in enumerate(STEPS):
        def scaled(fraction: float, message: str, _at: int = position) -> None:
            report((_at + fraction) / len(STEPS), f"{name}: {message}")
        reports[name] = step(workspace, project_id, now=now, actor=actor, progress=scaled)
    return MonitorRefresh(project_id=project_id, reports=reports, seconds=time.perf_counter() - started)
