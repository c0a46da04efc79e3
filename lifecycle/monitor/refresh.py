"""One refresh of a project's monitoring: what ``monitor refresh``, the app's background refresher
and the Monitor page's "Refresh now" run.

A refresh is a list of steps run in order (``STEPS``), each given the same keywords and
returning its own report; later steps read what earlier ones stored: drift (per window, from the
log) → drift alerts (each confirmed drift raised once) → performance (labels joined, estimated
before they arrive) → objective alerts (a breach by its interval) → webhook delivery (every
pending alert, retried). Performance and objective alerts use the project's drift window size, so
one refresh keeps one set of windows current.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from lifecycle.clock import utc_now
from lifecycle.monitor.alert_rules import evaluate_alerts
from lifecycle.monitor.drift import DriftRefresh, production_version, refresh_drift
from lifecycle.monitor.drift_alerts import raise_drift_alerts
from lifecycle.monitor.drift_config import drift_rules
from lifecycle.monitor.performance import PerformanceRefresh, refresh_performance
from lifecycle.monitor.webhook import DeliveryReport, deliver_pending
from lifecycle.progress import Progress, quiet
from lifecycle.records import Alert, User
from lifecycle.workspace import Workspace

Step = Callable[..., Any]  # step(workspace, project_id, *, now, actor, progress) -> its report


def drift_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
               progress: Progress) -> DriftRefresh:
    """Drift on the project's window size (``refresh_drift``)."""
    return refresh_drift(workspace, project_id, now=now, actor=actor, progress=progress)


def drift_alerts_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
                      progress: Progress) -> list[Alert]:
    """One alert per confirmed drift of the production version (``drift_alerts.raise_drift_alerts``)."""
    return raise_drift_alerts(workspace, project_id)


def performance_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
                     progress: Progress) -> PerformanceRefresh | None:
    """Performance per window on the drift window size (``refresh_performance``); None when
    nothing serves production (no traffic to judge)."""
    if production_version(workspace, project_id) is None:
        return None
    return refresh_performance(workspace, project_id, size_seconds=drift_rules(workspace, project_id).window_seconds,
                               now=now)


def objective_alerts_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
                          progress: Progress) -> list[Alert]:
    """One alert per breach episode of an objective (``alert_rules.evaluate_alerts``)."""
    return evaluate_alerts(workspace, project_id, size_seconds=drift_rules(workspace, project_id).window_seconds,
                           now=now)


def delivery_step(workspace: Workspace, project_id: int, *, now: datetime, actor: User | None,
                  progress: Progress) -> DeliveryReport:
    """Pending alerts posted to the project's webhook (``webhook.deliver_pending``)."""
    return deliver_pending(workspace, project_id)


# The steps, in order: (name, step). Alerts follow what they read; delivery goes last.
STEPS: list[tuple[str, Step]] = [
    ("drift", drift_step),
    ("drift_alerts", drift_alerts_step),
    ("performance", performance_step),
    ("objective_alerts", objective_alerts_step),
    ("delivery", delivery_step),
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

    @property
    def raised(self) -> list[Alert]:
        """The alerts this refresh raised (drift, then objectives)."""
        return [*self.reports.get("drift_alerts", []), *self.reports.get("objective_alerts", [])]


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
        scaled(0.0, "started")
        reports[name] = step(workspace, project_id, now=now, actor=actor, progress=scaled)
    return MonitorRefresh(project_id=project_id, reports=reports, seconds=time.perf_counter() - started)
