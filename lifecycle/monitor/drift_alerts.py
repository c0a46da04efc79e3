"""Drift alerts: every confirmed drift (``drift_views.confirmed_drifts``) becomes one alert, raised
through ``alerts.raise_alert`` with its evidence (the run's windows, the numbers of its last
window and the effect per window as a chart's series).

The key is the version, the column (source and name) and the run's first window, so repeating the
rule on every refresh raises nothing new, a run that grows keeps its one alert, and a new run after
a window without drift raises a new one. Only runs still going on (``ongoing``) or ending after
``since`` are raised: a run that ended long before monitoring was wired is history, not news.

One incident, one alert: drift of the model's outputs (its predictions or scores) during a
confirmed drift of an input is what that input's drift does to the model, so it is named in the
input's alert (``outputs_also_drifting``) instead of raising its own. Output drift with no input
drifting beside it (a change the monitored inputs do not show) raises its own alert.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from lifecycle.monitor.alerts import raise_alert
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.drift_config import EFFECT_WORDS, drift_rules
from lifecycle.monitor.drift_decisions import DriftConfirmation, FeatureDrift
from lifecycle.monitor.drift_views import confirmed_drifts, drift_history
from lifecycle.monitor.windows import format_size
from lifecycle.records import Alert
from lifecycle.records.drift import INPUT
from lifecycle.workspace import Workspace

CHART_WINDOWS = 48  # windows of context the alert's chart keeps, ending at the run's last window


def drift_key(version_id: int, confirmation: DriftConfirmation) -> str:
    """The alert key of a confirmed drift: version, source, feature and the run's first window."""
    return f"drift:{version_id}:{confirmation.source}:{confirmation.feature}:{confirmation.first_window.isoformat()}"


def column_words(source: str, feature: str) -> str:
    """How a monitored column is named to people: ``age``, or ``the model's [score]``."""
    return feature if source == INPUT else f"the model's {feature}"


def drift_title(confirmation: DriftConfirmation, version_label: str, size_seconds: int) -> str:
    """One line: what drifts, by how much, over which windows."""
    effect = EFFECT_WORDS.get(confirmation.effect_name, confirmation.effect_name)
    return (f"Drift confirmed in {column_words(confirmation.source, confirmation.feature)} of {version_label}: "
            f"{effect} {confirmation.effect:.3g} in {confirmation.windows} {format_size(size_seconds)} windows in a "
            f"row from {confirmation.first_window:%Y-%m-%d %H:%M} UTC")


def _point(item: FeatureDrift) -> dict:
    return {"start": item.window_start.isoformat(), "rows": item.window_rows, "status": item.status,
            "effect": item.effect, "p_value": item.p_value, "adjusted_p_value": item.adjusted_p_value,
            "drift": item.drift, "complete": item.complete}


def overlaps(one: DriftConfirmation, other: DriftConfirmation) -> bool:
    """Whether two confirmed runs share a window."""
    return one.first_window <= other.last_window and other.first_window <= one.last_window


def drift_evidence(confirmation: DriftConfirmation, history: list[FeatureDrift], *, version_label: str,
                   size_seconds: int, min_effect: float, consecutive: int,
                   also: list[DriftConfirmation] = ()) -> dict:
    """The alert's evidence: the rule, the run's windows and numbers, and a ``drift_series`` chart
    (the effect per window with the minimum effect, the run's windows highlighted)."""
    mine = [f for f in history if f.source == confirmation.source and f.feature == confirmation.feature
            and f.window_start <= confirmation.last_window]
    run = [f for f in mine if confirmation.first_window <= f.window_start]
    context = mine[-CHART_WINDOWS:]
    return {
        "feature": confirmation.feature, "source": confirmation.source, "kind": confirmation.kind,
        "version": version_label, "window_size": format_size(size_seconds),
        "rule": f"{confirmation.effect_name} ≥ {min_effect:g} (and the test significant after Benjamini–Hochberg) "
                f"in {consecutive} complete windows in a row",
        "first_window": confirmation.first_window.isoformat(), "last_window": confirmation.last_window.isoformat(),
        "windows_in_run": confirmation.windows, "ongoing": confirmation.ongoing,
        "effect_name": confirmation.effect_name, "effect": confirmation.effect, "p_value": confirmation.p_value,
        "adjusted_p_value": confirmation.adjusted_p_value, "impact": confirmation.impact,
        "windows": [_point(f) for f in run],
        "outputs_also_drifting": [{"feature": c.feature, "first_window": c.first_window.isoformat(),
                                   "windows": c.windows, "effect_name": c.effect_name, "effect": c.effect}
                                  for c in also],
        "chart": {"kind": "drift_series",
                  "title": f"{EFFECT_WORDS.get(confirmation.effect_name, confirmation.effect_name)} of "
                           f"{confirmation.feature} per {format_size(size_seconds)} window",
                  "y_title": EFFECT_WORDS.get(confirmation.effect_name, confirmation.effect_name),
                  "x": [f.window_start.isoformat() for f in context], "effect": [f.effect for f in context],
                  "drift": [f.drift for f in context], "threshold": min_effect,
                  "highlight": [f.window_start.isoformat() for f in run]},
    }


def raise_drift_alerts(workspace: Workspace, project_id: int, *, since: datetime | None = None) -> list[Alert]:
    """Raise one alert per confirmed drift of the production version (runs still going on, or
    ending at or after ``since``); returns the alerts newly raised (none on a repeat)."""
    version = production_version(workspace, project_id)
    if version is None:
        return []
    config = drift_rules(workspace, project_id)
    found = [c for c in confirmed_drifts(workspace, project_id, version_id=version.id)
             if c.ongoing or since is None or c.last_window >= since]
    if not found:
        return []
    label = f"v{version.version}"
    history = drift_history(workspace, project_id, version_id=version.id,
                            since=min(c.first_window for c in found) - timedelta(seconds=config.window_seconds
                                                                                * CHART_WINDOWS))
    inputs = [c for c in found if c.source == INPUT]
    raised = []
    for confirmation in found:
        if confirmation.source != INPUT and any(overlaps(confirmation, c) for c in inputs):
            continue  # named in the input's alert
        also = [c for c in found if confirmation.source == INPUT and c.source != INPUT and overlaps(c, confirmation)]
        rule = config.rule(confirmation.feature, confirmation.kind)
        evidence = drift_evidence(confirmation, history, version_label=label, size_seconds=config.window_seconds,
                                  min_effect=rule.min_effect, consecutive=config.consecutive, also=also)
        alert = raise_alert(workspace, project_id=project_id, model_version_id=version.id, kind="drift",
                            key=drift_key(version.id, confirmation),
                            title=drift_title(confirmation, label, config.window_seconds), evidence=evidence)
        if alert is not None:
            raised.append(alert)
    return raised
