"""The objective rule: an objective is breached in a window when its whole 95% bootstrap interval
lies on the wrong side of the threshold, never by its point value alone.

For ``recall >= 0.6`` a window is *breached* when even the interval's upper end is below 0.6;
*uncertain* when the point value misses but the interval reaches the threshold; *met* when the
point value meets it; *not judged* without a value, without an interval, or with fewer than
``MIN_LABELLED_ROWS`` labelled rows (or an interval the Validate stage calls unreliable). Windows
come from the stored performance (``monitor.performance``); nothing is recomputed here.

:func:`evaluate_alerts` raises one alert per breach *episode*: a run of judged windows that do not
meet the objective (not-judged windows neither extend nor end it) containing a breach. Its key is
the objective, the version, the window size and the episode's first window, so repeating the rule
on every refresh raises nothing new, a resolved alert is not raised again while the same episode
lasts, and a new breach after a met window raises a new alert.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifecycle.clock import utc_now
from lifecycle.monitor.alerts import raise_alert
from lifecycle.monitor.performance import PerformanceHistory, WindowPerformance, performance_history
from lifecycle.monitor.window_metrics import MIN_LABELLED_ROWS
from lifecycle.monitor.windows import format_size
from lifecycle.problem.objectives import CATALOGUE, is_met
from lifecycle.records import Alert, Objective, WindowMetric
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

BREACHED, UNCERTAIN, MET, NOT_JUDGED = "breached", "uncertain", "met", "not judged"
CHART_WINDOWS = 48  # windows of context the alert's chart keeps, ending at the breached one


@dataclass(frozen=True, kw_only=True)
class Judgement:
    """An objective judged in one window, with the reason in words."""

    state: str  # BREACHED, UNCERTAIN, MET or NOT_JUDGED
    reason: str


def judge(objective: Objective, value: float | None, low: float | None, high: float | None, *, labelled: int,
          unreliable: str = "") -> Judgement:
    """Judge ``objective`` on a window's value and 95% interval resting on ``labelled`` rows."""
    text = f"{objective.metric} {objective.comparator} {objective.threshold:g}"
    if value is None:
        return Judgement(state=NOT_JUDGED, reason=f"{text}: no value in this window")
    if labelled < MIN_LABELLED_ROWS:
        return Judgement(state=NOT_JUDGED, reason=f"{text}: {labelled} labelled rows, fewer than {MIN_LABELLED_ROWS}")
    if unreliable:
        return Judgement(state=NOT_JUDGED, reason=f"{text}: {unreliable}")
    if low is None or high is None:
        return Judgement(state=NOT_JUDGED, reason=f"{text}: no interval, so a breach cannot be told from noise")
    interval = f"{value:.3g} (95% interval {low:.3g} to {high:.3g})"
    if is_met(objective, value):
        return Judgement(state=MET, reason=f"{text}: met, {interval}")
    if not is_met(objective, low) and not is_met(objective, high):
        return Judgement(state=BREACHED, reason=f"{text}: breached, the whole interval misses: {interval}")
    return Judgement(state=UNCERTAIN, reason=f"{text}: the value misses but the interval reaches the threshold: "
                                             f"{interval}")


def judge_window(objective: Objective, window: WindowPerformance) -> Judgement:
    """``objective`` judged on a stored window's realized value."""
    value = window.realized.get(objective.metric)
    if value is None:
        return judge(objective, None, None, None, labelled=window.labelled)
    unreliable = (value.details or {}).get("unreliable", "")
    return judge(objective, value.value, value.low, value.high, labelled=window.labelled, unreliable=unreliable)


def _judged_objectives(history: PerformanceHistory) -> list[Objective]:
    return [o for o in history.objectives
            if CATALOGUE.get(o.metric) and CATALOGUE[o.metric].kind in ("performance", "fairness")
            and o.metric in history.tracked]


def _version_label(workspace: Workspace, version_id: int) -> str:
    version = model_store.get_version(workspace.db.cursor(), version_id)
    return f"v{version.version}" if version is not None else f"version #{version_id}"


def _point(window: WindowPerformance, metric: str, judgement: Judgement) -> dict:
    value: WindowMetric | None = window.realized.get(metric)
    estimated = window.estimated.get(metric)
    return {"start": window.window.start.isoformat(), "end": window.window.end.isoformat(),
            "value": None if value is None else value.value, "low": None if value is None else value.low,
            "high": None if value is None else value.high, "estimated": None if estimated is None else estimated.value,
            "predictions": window.predictions, "labelled": window.labelled,
            "labelled_share": round(window.labelled_share, 4), "judgement": judgement.state,
            "grouping": ((value.details or {}).get("grouping") if value is not None else None)}


def _evidence(objective: Objective, windows: list[WindowPerformance], judgements: list[Judgement], episode: int,
              breach: int, size_seconds: int, version_label: str) -> dict:
    spec = CATALOGUE[objective.metric]
    points = [_point(w, objective.metric, j) for w, j in zip(windows, judgements)]
    context = points[max(0, breach + 1 - CHART_WINDOWS):breach + 1]
    return {
        "objective": f"{objective.metric} {objective.comparator} {objective.threshold:g}",
        "metric": objective.metric, "label": spec.label, "comparator": objective.comparator,
        "threshold": objective.threshold, "blocking": objective.blocking, "version": version_label,
        "window_size": format_size(size_seconds), "rule": "the whole 95% bootstrap interval misses the threshold",
        "reason": judgements[breach].reason, "breached_window": points[breach], "episode_start": points[episode]["start"],
        "windows": points[episode:breach + 1],
        "chart": {"kind": "interval_series", "title": f"{spec.label} of {version_label} per {format_size(size_seconds)} "
                                                      "window", "y_title": spec.label,
                  "x": [p["start"] for p in context], "value": [p["value"] for p in context],
                  "low": [p["low"] for p in context], "high": [p["high"] for p in context],
                  "estimated": [p["estimated"] for p in context], "threshold": objective.threshold,
                  "comparator": objective.comparator, "highlight": [points[breach]["start"]]},
    }


def _title(objective: Objective, point: dict, version_label: str, size_seconds: int) -> str:
    spec = CATALOGUE[objective.metric]
    side = "below" if objective.comparator == ">=" else "above"
    return (f"{spec.label} of {version_label} {side} its objective ({objective.comparator} {objective.threshold:g}): "
            f"{point['value']:.3g} [{point['low']:.3g}, {point['high']:.3g}] in the {format_size(size_seconds)} window "
            f"from {point['start'].replace('T', ' ')}")


def breaches(objective: Objective, windows: list[WindowPerformance]) -> list[tuple[int, int, list[Judgement]]]:
    """``(episode start, breached window, judgements)`` per breach episode of ``objective`` over
    one version's ``windows`` (oldest first): the first breached window of each episode."""
    judgements = [judge_window(objective, w) for w in windows]
    found, episode, alerted = [], None, False
    for position, judgement in enumerate(judgements):
        if judgement.state == NOT_JUDGED:
            continue
        if judgement.state == MET:
            episode, alerted = None, False
            continue
        if episode is None:
            episode = position
        if judgement.state == BREACHED and not alerted:
            found.append((episode, position, judgements))
            alerted = True
    return found


def evaluate_alerts(workspace: Workspace, project_id: int, *, size_seconds: int,
                    now: datetime | None = None) -> list[Alert]:
    """Raise an alert for every breach episode of a performance or fairness objective in the stored
    windows of ``size_seconds`` (those starting before ``now``); returns the alerts newly raised
    (none on a repeat). Run :func:`~lifecycle.monitor.performance.refresh_performance` first.
    Raises NotFound for an unknown project."""
    history = performance_history(workspace, project_id, size_seconds=size_seconds, until=now or utc_now())
    raised = []
    for objective in _judged_objectives(history):
        for version_id in history.versions:
            windows = list(history.of_version(version_id))
            label = None
            for episode, breach, judgements in breaches(objective, windows):
                label = label or _version_label(workspace, version_id)
                evidence = _evidence(objective, windows, judgements, episode, breach, size_seconds, label)
                key = (f"objective:{version_id}:{objective.metric}{objective.comparator}{objective.threshold:g}:"
                       f"{format_size(size_seconds)}:{evidence['episode_start']}")
                alert = raise_alert(workspace, project_id=project_id, model_version_id=version_id, kind="objective",
                                    key=key, title=_title(objective, evidence["breached_window"], label, size_seconds),
                                    evidence=evidence)
                if alert is not None:
                    raised.append(alert)
    return raised
