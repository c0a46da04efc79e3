"""The monitoring refresh wired end to end: a confirmed drift raises exactly one alert (its output
drift named in it), a repeat raises nothing; the stage status, the traffic per window and the
summary's sentences."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from lifecycle.cli import main
from lifecycle.monitor import alerts, refresh, status, summary
from lifecycle.monitor.drift_alerts import drift_key
from lifecycle.monitor.traffic import traffic_series
from lifecycle.problem.projects import get_project
from lifecycle.status import StageProgress
from tests.unit.monitor_drift_fixtures import HOUR, START, log_hours, served, served_base  # noqa: F401 (fixtures)


def test_a_confirmed_drift_raises_exactly_one_alert_and_a_repeat_raises_none(served, capsys):
    workspace, project_id, version, actors = served
    log_hours(workspace, project_id, version, "--SSS", shift_a=1.0)
    done = refresh.refresh(workspace, project_id, now=START + 6 * HOUR)
    assert list(done.reports) == ["drift", "drift_alerts", "performance", "objective_alerts", "delivery"]
    [alert] = done.reports["drift_alerts"]
    assert alert.kind == "drift" and alert.model_version_id == version.id
    assert alert.key == f"drift:{version.id}:input:a:{(START + 2 * HOUR).isoformat()}"
    evidence = alert.evidence
    assert evidence["feature"] == "a" and evidence["windows_in_run"] == 3 and len(evidence["windows"]) == 3
    assert evidence["chart"]["kind"] == "drift_series" and len(evidence["chart"]["x"]) == 5
    assert evidence["chart"]["highlight"] == [(START + i * HOUR).isoformat() for i in (2, 3, 4)]
    assert "Drift confirmed in a of v" in alert.title
    # the predictions follow a (the fixture predicts "yes" when a > 0): named in a's alert, not an alert of their own
    assert {o["feature"] for o in evidence["outputs_also_drifting"]} <= {"prediction", "score"}
    assert [a.id for a in alerts.alerts_for(workspace, project_id, kind="drift")] == [alert.id]
    again = refresh.refresh(workspace, project_id, now=START + 6 * HOUR)
    assert again.raised == [] and len(alerts.open_alerts(workspace, project_id)) == 1
    assert drift_key(version.id, type("C", (), {"source": "input", "feature": "a",
                                                 "first_window": START + 2 * HOUR})()) == alert.key
    assert main(["--workspace", str(workspace.path), "--json", "monitor", "refresh", "--project", "Drift"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["drift_alerts"] == [] and shown["delivery"]["pending"] == []


def test_the_stage_status_follows_traffic_and_alerts(served):
    workspace, project_id, version, actors = served
    project = get_project(workspace, project_id)
    first = status.stage_status(workspace, project)
    assert first.state == StageProgress.READY and "no monitoring is on record" in first.reason
    log_hours(workspace, project_id, version, "--SSS", shift_a=1.0)
    done = refresh.refresh(workspace, project_id, now=START + 6 * HOUR)
    watched = status.stage_status(workspace, project)
    assert watched.state == StageProgress.READY
    assert watched.reason.startswith(f"Monitoring model v{version.version}: drifting in a; 1 open alert")
    alerts.resolve(workspace, actors["analyst"], done.raised[0].id, "upstream fix")
    calm = status.stage_status(workspace, project)
    assert calm.state == StageProgress.DONE and calm.reason.endswith("stable; no open alert.")


def test_traffic_per_window_counts_requests_and_leaves_gaps_as_zeros(served):
    workspace, project_id, version, _ = served
    log_hours(workspace, project_id, version, "-.-", rows=100)
    series = traffic_series(workspace, project_id, since=START, until=START + 3 * HOUR, size_seconds=3600)
    assert [w.requests for w in series.windows] == [10, 0, 10]
    assert [w.rows for w in series.windows] == [100, 0, 100]
    assert series.windows[1].p95_ms is None and series.windows[0].p95_ms == pytest.approx(1.0)
    assert series.windows[0].error_rate == 0.0 and series.windows[1].error_rate is None


TUESDAY = datetime(2026, 3, 3, 9, 0)


@pytest.mark.parametrize("features, words", [
    ((), "stable"), (("age",), "drifting in age"), (("age", "sex", "age"), "drifting in 2 features (age, sex)")])
def test_drift_words(features, words):
    assert summary.drift_words(features) == words


@pytest.mark.parametrize("moment, words", [
    (datetime(2026, 3, 5, 8, 30), "since 08:30 today"), (datetime(2026, 3, 4, 23, 0), "since yesterday"),
    (TUESDAY, "since Tuesday"), (datetime(2026, 2, 20), "since 2026-02-20")])
def test_since_words(moment, words):
    assert summary.since_words(moment, datetime(2026, 3, 5, 12, 0)) == words


def test_objective_and_trend_words():
    assert summary.objective_words("Recall", ">=", 0.6, TUESDAY, datetime(2026, 3, 6)) == (
        "Recall below its objective (>= 0.6) since Tuesday")
    assert summary.objective_words("Demographic parity difference", "<=", 0.2, TUESDAY, TUESDAY).startswith(
        "Demographic parity difference above its objective (<= 0.2) since 09:00 today")
    assert [summary.trend_words(*pair) for pair in ((112, 100), (95, 100), (100.5, 100), (1, 0), (None, 3))] == [
        "up 12%", "down 5%", "flat", "", ""]


def test_the_summary_says_stable_or_what_needs_attention():
    from lifecycle.monitor.traffic import TrafficSeries, WindowTraffic
    from lifecycle.records import Alert

    windows = tuple(WindowTraffic(start=START + i * HOUR, requests=n, rows=n, errors=0, p50_ms=1.0, p95_ms=2.0,
                                  p99_ms=3.0) for i, n in enumerate((100, 110)))
    series = TrafficSeries(since=START, until=START + 2 * HOUR, size_seconds=3600, windows=windows, skipped=())
    calm = summary.build_summary(version="v1", traffic=series, drifting=(), alerts=(), metric_label="Recall",
                                 metric_values=(0.7, 0.72), estimated_values=(), labelled_share=0.5, now=TUESDAY)
    assert calm.word == "stable" and calm.sentences == ("Model v1: stable.",)
    assert [h.label for h in calm.headlines] == ["Requests", "Error rate", "p95 latency", "Recall (realized)",
                                                 "Open alerts"]
    assert calm.headlines[0].value == "210" and calm.headlines[0].delta == "up 10%"
    breach = Alert(id=1, project_id=1, model_version_id=1, kind="objective", key="k", title="t",
                   evidence={"label": "Recall", "comparator": ">=", "threshold": 0.6,
                             "episode_start": "2026-03-03T02:00:00"}, state="open", opened_at=TUESDAY,
                   opened_by="system")
    worried = summary.build_summary(version="v1", traffic=series, drifting=("age", "sex"), alerts=(breach,),
                                    metric_label="Recall", metric_values=(), estimated_values=(0.55,),
                                    labelled_share=None, now=datetime(2026, 3, 6, 10))
    assert worried.word == "attention"
    assert worried.sentences == ("Model v1: drifting in 2 features (age, sex).",
                                 "Recall below its objective (>= 0.6) since Tuesday.", "1 open alert.")
    assert worried.headlines[3].label == "Recall (estimated)"
    idle = summary.build_summary(version=None, traffic=None, drifting=(), alerts=(), metric_label=None,
                                 metric_values=(), estimated_values=(), labelled_share=None, now=TUESDAY)
    assert idle.word == "no traffic" and not idle.headlines
