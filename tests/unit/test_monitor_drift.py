"""Drift from a real prediction log of a version in production: the reference built once, windows
computed incrementally and stored, a missing feature, a window without traffic, a clock set back,
a torn segment, impact by SHAP importance, the rules and their audit trail, and the CLI."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lifecycle import audit
from lifecycle import evidence
from lifecycle.cli import main
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.monitor import drift, drift_config, drift_views, refresh
from lifecycle.monitor.reference import reference_profile
from lifecycle.store import drift_log
from lifecycle.store.prediction_log import TornSegment
from tests.unit.monitor_drift_fixtures import (HOUR, START, log_hours, served, served_base,  # noqa: F401 (fixtures)
                                               traffic, write_log)


def test_the_reference_is_the_training_split_and_its_test_predictions_built_once(served):
    workspace, project_id, version, actors = served
    first = drift.refresh_drift(workspace, project_id, now=START, actor=actors["stakeholder"])
    assert first.reference_built and first.computed == () and first.note.startswith("No answered request")
    profile = reference_profile(workspace, version.id)
    columns = {(c.source, c.name): c for c in profile.columns}
    assert set(columns) == {("input", "a"), ("input", "b"), ("input", "c"), ("prediction", "prediction"),
                            ("prediction", "score")}
    assert profile.rows == 420 and profile.prediction_rows == 120  # 70% train, 20% test of 600 rows
    assert columns[("input", "a")].rows == 420 and columns[("input", "b")].missing > 0
    assert columns[("input", "c")].kind == "categorical" and profile.positive_class == "yes"
    assert sum(profile.labels.values()) == 420 and set(profile.labels) == {"yes", "no"}
    again = drift.refresh_drift(workspace, project_id, now=START)
    assert not again.reference_built
    events = [e for e in audit.recent_events(workspace) if e.action == "monitor.reference_built"]
    assert len(events) == 1 and events[0].actor == "stakeholder"


def test_refresh_computes_only_windows_not_stored_or_changed(served, monkeypatch):
    workspace, project_id, version, _ = served
    asked = []
    aggregate = drift_log.window_aggregates

    def counted(files, **kwargs):
        asked.append(sorted(kwargs["windows"]))
        return aggregate(files, **kwargs)

    monkeypatch.setattr(drift_log, "window_aggregates", counted)
    log_hours(workspace, project_id, version, "---")
    first = drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR + timedelta(minutes=5))
    assert first.computed == (START, START + HOUR, START + 2 * HOUR) and first.stored == 3
    assert first.completed == first.computed and first.rows_read == 1200
    assert drift.refresh_drift(workspace, project_id, now=START + 4 * HOUR).computed == ()
    # a fourth hour arrives, and the refresh runs while it is still open: one window computed
    write_log(workspace, project_id, version, traffic(100, seed=9), start=START + 3 * HOUR, seconds=600)
    open_run = drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR + timedelta(minutes=20))
    assert open_run.computed == (START + 3 * HOUR,) and open_run.completed == ()
    # more rows in the open window: computed again; once it has closed: once more, then never
    write_log(workspace, project_id, version, traffic(150, seed=10), start=START + 3 * HOUR + timedelta(minutes=30),
              seconds=600)
    assert drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR + timedelta(minutes=45)).computed == (
        START + 3 * HOUR,)
    closed = drift.refresh_drift(workspace, project_id, now=START + 5 * HOUR)
    assert closed.computed == (START + 3 * HOUR,) and closed.completed == (START + 3 * HOUR,)
    assert drift.refresh_drift(workspace, project_id, now=START + 6 * HOUR).computed == ()
    assert [len(w) for w in asked] == [3, 1, 1, 1]
    table = drift_views.drift_table(workspace, project_id, window_start=START + 3 * HOUR)
    assert table.window_rows == 250 and table.complete
    computed_events = [e for e in audit.recent_events(workspace) if e.action == "monitor.drift_computed"]
    assert [e.details["windows"] for e in computed_events] == [3, 1]


def test_a_planted_shift_drifts_is_confirmed_and_ranked_by_shap_impact(served):
    workspace, project_id, version, actors = served
    log_hours(workspace, project_id, version, "--SSS", shift_a=1.0, c_weights=(0.7, 0.15, 0.15))
    drift.refresh_drift(workspace, project_id, now=START + 6 * HOUR)
    table = drift_views.drift_table(workspace, project_id)
    inputs = {f.feature: f for f in table.features if f.source == "input"}
    assert table.window_start == START + 4 * HOUR and table.complete and table.window_rows == 400
    assert inputs["a"].drift and inputs["a"].confirmed and inputs["a"].streak == 3
    assert inputs["c"].drift and inputs["c"].statistic == "chi2" and inputs["c"].effect_name == "jensen_shannon"
    assert not inputs["b"].drift and inputs["a"].statistics.exact
    assert not table.weighted and "effect size alone" in table.importance_note
    [confirmed_a, confirmed_c] = [c for c in drift_views.confirmed_drifts(workspace, project_id) if c.source == "input"]
    assert (confirmed_a.feature, confirmed_a.first_window, confirmed_a.last_window, confirmed_a.ongoing) == (
        "a", START + 2 * HOUR, START + 4 * HOUR, True)
    assert confirmed_c.feature == "c"
    early = drift_views.drift_table(workspace, project_id, window_start=START + timedelta(minutes=30))
    assert early.window_start == START and not any(f.drift for f in early.features if f.source == "input")
    # with a stored explanation, impact is the effect weighted by the SHAP share
    evidence.record(workspace, actors["reviewer"], version.id, "explanation", "k",
                    summary="test importance", payload={"importance": {"a": 1.0, "b": 1.0, "c": 8.0}})
    weighted = drift_views.drift_table(workspace, project_id)
    by_name = {f.feature: f for f in weighted.features if f.source == "input"}
    assert weighted.weighted and by_name["c"].importance_share == pytest.approx(0.8)
    assert by_name["a"].impact == pytest.approx(by_name["a"].effect * 0.1)
    assert [f.feature for f in weighted.features[:2]] == ["c", "a"]
    history = drift_views.drift_history(workspace, project_id, feature="a")
    assert [h.window_start for h in history] == [START + i * HOUR for i in range(5)]
    detail = drift_views.feature_detail(workspace, project_id, "c", window_start=START + 4 * HOUR)
    assert detail.labels[:3] == ("u", "v", "w") and sum(detail.current_counts) == 400
    assert sum(detail.reference_counts) == 420 and detail.current_shares[0] > 0.6
    numeric = drift_views.feature_detail(workspace, project_id, "a", window_start=START + 4 * HOUR)
    assert len(numeric.labels) == len(numeric.current_counts) == len(numeric.reference_counts)
    assert sum(numeric.current_counts) == 400 and numeric.labels[0].startswith("≤")


def test_a_feature_missing_from_the_log_is_reported_not_a_crash(served):
    workspace, project_id, version, _ = served
    write_log(workspace, project_id, version, traffic(400, drop=("b",)), start=START, seconds=3000)
    drift.refresh_drift(workspace, project_id, now=START + 2 * HOUR)
    table = drift_views.drift_table(workspace, project_id)
    b = next(f for f in table.features if f.feature == "b")
    assert b.status == "missing" and not b.drift and b.n_current == 0 and b.n_missing == 400
    assert b.reason == "missing: no value for this feature in the window"
    assert next(f for f in table.features if f.feature == "a").status == "no_drift"


def test_a_window_without_traffic_has_no_decision_and_does_not_break_a_run(served):
    workspace, project_id, version, _ = served
    log_hours(workspace, project_id, version, "S.SS", shift_a=1.5)
    report = drift.refresh_drift(workspace, project_id, now=START + 5 * HOUR)
    assert report.computed == (START, START + 2 * HOUR, START + 3 * HOUR)
    empty = drift_views.drift_table(workspace, project_id, window_start=START + HOUR)
    assert empty.features == () and empty.note == "No traffic in this window."
    a = next(f for f in drift_views.drift_table(workspace, project_id).features if f.feature == "a")
    assert a.confirmed and a.streak == 3


def test_the_minimum_window_calls_no_drift_on_a_few_rows(served):
    workspace, project_id, version, _ = served
    log_hours(workspace, project_id, version, "S", rows=120, shift_a=3.0)
    drift.refresh_drift(workspace, project_id, now=START + 2 * HOUR)
    table = drift_views.drift_table(workspace, project_id)
    assert {f.status for f in table.features} == {"too_few_rows"} and table.drifting == ()
    a = next(f for f in table.features if f.feature == "a")
    assert a.p_value < 1e-10 and a.effect > 2  # the numbers are there; the decision is withheld


def test_a_clock_set_back_puts_rows_in_their_own_windows(served):
    workspace, project_id, version, _ = served
    write_log(workspace, project_id, version, traffic(300, seed=1), start=START + 2 * HOUR, seconds=1800)
    first = drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR + timedelta(minutes=2))
    assert first.computed == (START + 2 * HOUR,)
    # the service's clock jumps back two hours: a later segment holds earlier times, some of them
    # in the window already stored and complete
    write_log(workspace, project_id, version, traffic(300, seed=2), start=START + 1 * HOUR + timedelta(minutes=40),
              seconds=2400)
    second = drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR + timedelta(minutes=5))
    assert second.computed == (START + HOUR, START + 2 * HOUR)
    counts = {f.window_start: f.window_rows for f in drift_views.drift_history(workspace, project_id, feature="a")}
    assert counts[START + HOUR] + counts[START + 2 * HOUR] == 600 and counts[START + HOUR] > 0


def test_a_torn_segment_is_skipped_and_named(served):
    workspace, project_id, version, _ = served
    write_log(workspace, project_id, version, traffic(300), start=START, seconds=3000)
    torn = drift.log_folder(workspace, project_id) / "20260302T000000000000-torn-000001.parquet"
    torn.write_bytes(b"PAR1 cut short")
    with pytest.warns(TornSegment, match="torn"):
        report = drift.refresh_drift(workspace, project_id, now=START + 2 * HOUR)
    assert report.computed == (START,) and report.rows_read == 300
    assert [name for name, _ in report.skipped_segments] == [torn.name]


def test_shadow_rows_and_other_versions_are_not_the_production_traffic(served):
    workspace, project_id, version, _ = served
    write_log(workspace, project_id, version, traffic(300), start=START, seconds=3000, role="shadow")
    assert drift.refresh_drift(workspace, project_id, now=START + 2 * HOUR).computed == ()
    with pytest.raises(InputError, match="is not a version of project"):
        drift.refresh_drift(workspace, project_id + 1, version_id=version.id)


def test_rules_are_checked_stored_audited_and_apply_to_stored_history(served):
    workspace, project_id, version, actors = served
    log_hours(workspace, project_id, version, "SS", shift_a=0.4)
    drift.refresh_drift(workspace, project_id, now=START + 3 * HOUR)
    before = next(f for f in drift_views.drift_table(workspace, project_id).features if f.feature == "a")
    with pytest.raises(PermissionDenied):
        drift_config.configure_drift(workspace, actors["stakeholder"], project_id, consecutive=2)
    with pytest.raises(InputError, match="'chi2' is not a test for this column type"):
        drift_config.configure_drift(workspace, actors["analyst"], project_id, numeric={"test": "chi2"})
    with pytest.raises(InputError, match="false discovery rate"):
        drift_config.configure_drift(workspace, actors["analyst"], project_id, alpha=1.5)
    rules = drift_config.configure_drift(workspace, actors["analyst"], project_id,
                                         numeric={"effect": "wasserstein", "min_effect": before.effect + 0.01},
                                         consecutive=2)
    assert rules.consecutive == 2 and drift_config.drift_rules(workspace, project_id) == rules
    after = next(f for f in drift_views.drift_table(workspace, project_id).features if f.feature == "a")
    assert before.drift and not after.drift and after.statistics == before.statistics  # the log was not read again
    [event] = [e for e in audit.recent_events(workspace) if e.action == "monitor.drift_configured"]
    assert event.actor == "analyst" and set(event.details["changed"]) == {"numeric", "consecutive"}


def test_monitor_refresh_runs_its_steps_and_the_cli_prints_the_drift_table(served, capsys):
    workspace, project_id, version, _ = served
    log_hours(workspace, project_id, version, "-S", shift_a=1.0)
    done = refresh.refresh(workspace, project_id, now=START + 3 * HOUR)
    assert list(done.reports) == [name for name, _ in refresh.STEPS] and done.drift.computed
    path = str(workspace.path)
    assert main(["--workspace", path, "--json", "monitor", "drift", "--project", "Drift",
                 "--at", "2026-03-02T01:30:00+00:00"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["window"]["start"] == "2026-03-02 01:00:00" and shown["window"]["rows"] == 400
    for feature in shown["features"]:
        assert {"feature", "statistic", "statistic_value", "p_value", "adjusted_p_value", "effect", "drift"} <= set(
            feature)
        assert isinstance(feature["drift"], bool) and isinstance(feature["effect"], float)
    assert "a" in shown["drifting"]
    assert main(["--workspace", path, "monitor", "drift", "--project", "Drift"]) == 0
    text = capsys.readouterr().out
    assert "window 2026-03-02 01:00–02:00 UTC (1h, 400 rows, complete)" in text and "[score]" in text
    assert main(["--workspace", path, "monitor", "drift", "--project", "Drift", "--window", "7x"]) == 2
    assert "not a size" in capsys.readouterr().err
    assert main(["--workspace", path, "--json", "monitor", "refresh", "--project", "Drift"]) == 0
    assert json.loads(capsys.readouterr().out)["drift"]["computed"] == []
    assert main(["--workspace", path, "--user", "analyst", "monitor", "configure", "--project", "Drift",
                 "--categorical-test", "none", "--window", "30m"]) == 0
    assert "Categorical features: no test (effect size alone)" in capsys.readouterr().out
    assert drift_config.drift_rules(workspace, project_id).window_seconds == 1800
