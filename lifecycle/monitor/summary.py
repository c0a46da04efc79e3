"""The Monitor stage in plain words, for stakeholders and the stage status: the headline numbers of a
project's production model, their trend, and sentences such as "stable", "drifting in 2
features (age, hours_per_week)" or "Recall below its objective (>= 0.6) since Tuesday".

The sentence-making functions take plain values (tested on their own); :func:`monitor_summary`
reads what the refresh stored (traffic from the log, the newest drift table, the stored
performance and the open alerts) and hands it to :func:`build_summary`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from lifecycle.monitor.alerts import open_alerts
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.drift_views import drift_table
from lifecycle.monitor.performance import performance_history
from lifecycle.monitor.traffic import TrafficSeries, traffic_series
from lifecycle.problem.metrics import PRIMARY
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.problem.projects import get_project
from lifecycle.records import Alert
from lifecycle.records.drift import INPUT
from lifecycle.workspace import Workspace

STABLE, ATTENTION, IDLE = "stable", "attention", "no traffic"
SIDE = {">=": "below", ">": "below", "<=": "above", "<": "above"}


def drift_words(features: Sequence[str]) -> str:
    """``stable`` without drifting features, else "drifting in age" or "drifting in 2 features (age, sex)"."""
    names = list(dict.fromkeys(features))
    if not names:
        return "stable"
    if len(names) == 1:
        return f"drifting in {names[0]}"
    return f"drifting in {len(names)} features ({', '.join(names)})"


def since_words(moment: datetime, now: datetime) -> str:
    """When something started, as people say it: "since 14:00 today", "since yesterday", "since
    Tuesday" (within the last week) or "since 2026-03-02"."""
    days = (now.date() - moment.date()).days
    if days <= 0:
        return f"since {moment:%H:%M} today"
    if days == 1:
        return "since yesterday"
    if days < 7:
        return f"since {moment:%A}"
    return f"since {moment:%Y-%m-%d}"


def objective_words(label: str, comparator: str, threshold: float, since: datetime, now: datetime) -> str:
    """"Recall below its objective (>= 0.6) since Tuesday"."""
    return f"{label} {SIDE.get(comparator, 'off')} its objective ({comparator} {threshold:g}) {since_words(since, now)}"


def trend_words(current: float | None, previous: float | None) -> str:
    """"up 12%", "down 5%", "flat" (within 1%), or "" when either side is unknown or previous is 0."""
    if current is None or previous is None or previous == 0:
        return ""
    change = (current - previous) / abs(previous)
    if abs(change) < 0.01:
        return "flat"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%}"


@dataclass(frozen=True, kw_only=True)
class Headline:
    """One headline number: its value shown as text, the change against the previous window
    (``delta``, as a metric card shows it; "" when unknown) and its trend (oldest first)."""

    label: str
    value: str
    delta: str = ""
    trend: tuple[float, ...] = ()
    help: str = ""


@dataclass(frozen=True, kw_only=True)
class MonitorSummary:
    """The stakeholder view: one word, the sentences behind it, and the headline numbers."""

    word: str  # stable, attention or no traffic
    sentences: tuple[str, ...]
    headlines: tuple[Headline, ...]
    version: str | None


def _breach_sentences(alerts: Sequence[Alert], now: datetime) -> list[str]:
    out = []
    for alert in alerts:
        if alert.kind != "objective":
            continue
        evidence = alert.evidence
        start = datetime.fromisoformat(evidence.get("episode_start") or alert.opened_at.isoformat())
        out.append(objective_words(str(evidence.get("label", evidence.get("metric", "an objective"))),
                                   str(evidence.get("comparator", "")), float(evidence.get("threshold", 0.0)),
                                   start, now))
    return list(dict.fromkeys(out))


def build_summary(*, version: str | None, traffic: TrafficSeries | None, drifting: Sequence[str],
                  alerts: Sequence[Alert], metric_label: str | None, metric_values: Sequence[float],
                  estimated_values: Sequence[float], labelled_share: float | None, now: datetime) -> MonitorSummary:
    """The summary from plain inputs: ``drifting`` confirmed drifting features, ``alerts`` the open
    ones, ``metric_values`` / ``estimated_values`` the primary metric per window (oldest first;
    realized, and estimated by CBPE before labels)."""
    if version is None:
        return MonitorSummary(word=IDLE, version=None, headlines=(),
                              sentences=("No model version serves production, so there is nothing to monitor.",))
    windows = list(traffic.windows) if traffic is not None else []
    requests = [float(w.requests) for w in windows]
    closed = [float(w.requests) for w in windows  # the newest window is still filling: compare closed ones
              if traffic is not None and w.start + timedelta(seconds=traffic.size_seconds) <= traffic.until]
    headlines = [Headline(label="Requests", value=f"{int(sum(requests)):,}",
                          delta=trend_words(closed[-1], closed[-2]) if len(closed) > 1 else "",
                          trend=tuple(requests), help="Answered requests in the time range; the change compares "
                                                      "the newest closed window with the one before.")]
    rates = [w.error_rate for w in windows if w.error_rate is not None]
    total = sum(w.requests for w in windows)
    headlines.append(Headline(label="Error rate", value=f"{sum(w.errors for w in windows) / total:.1%}" if total
                              else "—", trend=tuple(rates)))
    p95 = [w.p95_ms for w in windows if w.p95_ms is not None]
    headlines.append(Headline(label="p95 latency", value=f"{p95[-1]:.1f} ms" if p95 else "—", trend=tuple(p95),
                              help="In the newest window with traffic."))
    if metric_label:
        realized = list(metric_values)
        estimated = list(estimated_values)
        if realized:
            delta = f"{realized[-1] - realized[-2]:+.3f}" if len(realized) > 1 else ""
            headlines.append(Headline(label=f"{metric_label} (realized)", value=f"{realized[-1]:.3f}", delta=delta,
                                      trend=tuple(realized),
                                      help=f"{labelled_share:.0%} of the newest window's predictions labelled"
                                      if labelled_share is not None else ""))
        elif estimated:
            headlines.append(Headline(label=f"{metric_label} (estimated)", value=f"{estimated[-1]:.3f}",
                                      trend=tuple(estimated), help="No labels yet: estimated from the model's own "
                                                                   "probabilities (CBPE)."))
    headlines.append(Headline(label="Open alerts", value=str(len(alerts))))
    sentences: list[str] = []
    if not total:
        sentences.append(f"Model {version}: no traffic in this time range.")
    drift = drift_words(drifting)
    sentences.append(f"Model {version}: {drift}.")
    sentences += [s + "." for s in _breach_sentences(alerts, now)]
    if alerts:
        sentences.append(f"{len(alerts)} open alert{'s' if len(alerts) != 1 else ''}.")
    word = ATTENTION if drifting or alerts else (STABLE if total else IDLE)
    return MonitorSummary(word=word, version=version, headlines=tuple(headlines), sentences=tuple(sentences))


def monitor_summary(workspace: Workspace, project_id: int, *, since: datetime, until: datetime,
                    size_seconds: int, now: datetime | None = None) -> MonitorSummary:
    """The summary of the project's production model over [since, until) in windows of ``size_seconds``."""
    now = now or until
    version = production_version(workspace, project_id)
    if version is None:
        return build_summary(version=None, traffic=None, drifting=(), alerts=(), metric_label=None,
                             metric_values=(), estimated_values=(), labelled_share=None, now=now)
    project = get_project(workspace, project_id)
    traffic = traffic_series(workspace, project_id, since=since, until=until, size_seconds=size_seconds)
    table = drift_table(workspace, project_id, version_id=version.id)
    drifting = [f.feature for f in table.features if f.source == INPUT and f.confirmed]
    alerts = open_alerts(workspace, project_id)
    history = performance_history(workspace, project_id, size_seconds=size_seconds, since=since, until=until,
                                  version_id=version.id)
    metric = next((o.metric for o in history.objectives if o.metric in history.tracked
                   and CATALOGUE.get(o.metric) and CATALOGUE[o.metric].kind == "performance"), PRIMARY[project.task])
    realized = [v.value for _, v in history.series(metric, version_id=version.id)
                if v is not None and v.value is not None]
    estimated = [v.value for _, v in history.series(metric, source="estimated", version_id=version.id)
                 if v is not None and v.value is not None]
    labelled = [w.labelled_share for w in history.of_version(version.id)]
    spec = CATALOGUE.get(metric)
    return build_summary(version=f"v{version.version}", traffic=traffic, drifting=drifting, alerts=alerts,
                         metric_label=spec.label if spec else metric, metric_values=realized,
                         estimated_values=estimated, labelled_share=labelled[-1] if labelled else None, now=now)


def default_range(now: datetime, size_seconds: int, windows: int = 48) -> tuple[datetime, datetime]:
    """``windows`` windows of ``size_seconds`` ending at ``now``."""
    return now - timedelta(seconds=size_seconds * windows), now
