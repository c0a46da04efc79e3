"""A/B tests end to end on a real workspace: start (manifest shares, audit), the service's split by
request id, status from the logs, conclude (keep or promote through the gates), rollback, and every
bad input refused with nothing changed."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from lifecycle import audit, retire
from lifecycle.deploy import promotion
from lifecycle.deploy.paths import deploy_dir, log_dir
from lifecycle.deploy.service import create_app
from lifecycle.deploy.settings import ServeSettings
from lifecycle.errors import GateRefused, InputError, PermissionDenied
from lifecycle.models import registry, states
from lifecycle.records import ModelState
from lifecycle.retrain import abtest, verdict
from lifecycle.store import abtests as abtest_store
from tests.unit.deploy_fixtures import frame, rows
from tests.unit import govern_fixtures
from tests.unit.retrain_fixtures import champion_and_challenger, labelled_traffic, validated


def _shares(workspace, project):
    return {v.version_id: v.share for v in promotion.manifest_for(workspace, project.id).versions}


def _snapshot(workspace, project):
    manifest = promotion.manifest_for(workspace, project.id)
    return (manifest.generation, len(audit.recent_events(workspace, limit=1000)),
            len(abtest_store.for_project(workspace.db.cursor(), project.id)))


def test_start_splits_traffic_by_request_id_and_keep_returns_it(workspace, actors, project):
    champion, challenger = champion_and_challenger(workspace, actors)
    test = abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                               challenger_id=challenger.id, share=0.3, mde=0.05)
    assert test.running and test.plan["outcomes"] > test.plan["fixed_champion"] + test.plan["fixed_challenger"]
    assert _shares(workspace, project) == pytest.approx({champion.id: 0.7, challenger.id: 0.3})
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "abtest.started" and event.details["share"] == 0.3

    # the scoring service routes each request id to one version, the same one every time
    app = create_app(deploy_dir(workspace.path, project.id), log_dir(workspace.path, project.id),
                     settings=ServeSettings(flush_rows=10_000, flush_seconds=60), watch=False)
    X, y = frame(n=300, seed=5)
    served = {}
    with TestClient(app) as client:
        for i, row in enumerate(rows(X, 300)):
            answer = client.post("/predict", json=row, headers={"X-Request-Id": f"r{i}"})
            assert answer.status_code == 200, answer.text
            served[f"r{i}"] = answer.json()["version_id"]
            client.post("/feedback", json={"request_id": f"r{i}", "label": str(y[i])})
        for i in range(0, 300, 7):
            again = client.post("/predict", json=rows(X, 1, start=i)[0], headers={"X-Request-Id": f"r{i}"})
            assert again.json()["version_id"] == served[f"r{i}"]
    to_challenger = sum(v == challenger.id for v in served.values()) / len(served)
    assert abs(to_challenger - 0.3) < 3 * (0.3 * 0.7 / 300) ** 0.5

    status = verdict.running_status(workspace, project.id)
    assert status.outcomes >= 300 and status.result.n_b == sum(v == challenger.id for v in served.values())
    assert 0 < status.progress < 1 and status.verdict in (verdict.NO_DIFFERENCE, verdict.CHALLENGER_BETTER,
                                                          verdict.CHAMPION_BETTER)
    assert "always-valid" in status.sentence() or status.verdict != verdict.NO_DIFFERENCE

    ended, used = abtest.conclude_abtest(workspace, actors["analyst"], project.id, decision="keep")
    assert (ended.status, ended.decision, ended.ended_by) == ("concluded", "kept", "analyst")
    assert ended.result["outcomes"] == used.outcomes
    assert _shares(workspace, project) == {champion.id: 1.0}
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "abtest.concluded" and event.details["decision"] == "kept"
    assert event.details["p_value"] == pytest.approx(used.result.p_value)
    assert audit.verify_chain(workspace).ok


def test_the_winner_is_promoted_through_the_gates(workspace, actors, project):
    champion, challenger = champion_and_challenger(workspace, actors)
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                        challenger_id=challenger.id, share=0.5)
    labelled_traffic(workspace, project.id, (champion.id, challenger.id), (0.70, 0.95), 800)
    status = verdict.running_status(workspace, project.id)
    assert status.verdict == verdict.CHALLENGER_BETTER and status.winner == "challenger"
    assert status.result.low > 0 and status.result.p_value <= 0.05

    before = _snapshot(workspace, project)
    with pytest.raises(GateRefused, match="has not been approved"):  # production needs the reviewers' sign-off
        abtest.conclude_abtest(workspace, actors["analyst"], project.id)
    assert _snapshot(workspace, project) == before and abtest_store.running(workspace.db.cursor(), project.id)

    govern_fixtures.approve(workspace, actors["reviewer"], challenger.id, "A/B evidence reviewed")
    ended, _ = abtest.conclude_abtest(workspace, actors["analyst"], project.id)  # follows the verdict: promote
    assert ended.decision == "promoted"
    assert registry.get_version(workspace, challenger.id).state == ModelState.PRODUCTION
    assert registry.get_version(workspace, champion.id).state == ModelState.STAGING
    assert _shares(workspace, project) == {challenger.id: 1.0}
    actions = [e.action for e in audit.recent_events(workspace, limit=3)]
    assert actions[-3:] == ["model.staging", "model.production", "abtest.concluded"]


def test_rollback_returns_all_traffic_and_moves_are_held_while_the_test_runs(workspace, actors, project):
    champion, challenger = champion_and_challenger(workspace, actors)
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                        challenger_id=challenger.id, share=0.2)
    with pytest.raises(InputError, match="A/B test splits this project's traffic"):
        promotion.move(workspace, actors["analyst"], champion.id, "staging", "swap")
    with pytest.raises(InputError, match="A/B test splits this project's traffic"):
        retire.decommission(workspace, actors["analyst"], challenger.id, reason="drop it")
    blocked = {m.to_state: m for m in states.possible_moves(workspace, actors["analyst"],
                                                            registry.get_version(workspace, champion.id))}
    assert not blocked["staging"].allowed and "A/B test" in blocked["staging"].reason
    with pytest.raises(InputError, match="needs a reason"):
        abtest.rollback_abtest(workspace, actors["analyst"], project.id, " ")
    with pytest.raises(PermissionDenied):
        abtest.rollback_abtest(workspace, actors["reviewer"], project.id, "stop")
    ended = abtest.rollback_abtest(workspace, actors["analyst"], project.id, "the challenger times out")
    assert (ended.status, ended.decision) == ("rolled_back", "rolled_back")
    assert _shares(workspace, project) == {champion.id: 1.0}
    assert audit.recent_events(workspace, limit=1)[0].action == "abtest.rolled_back"
    retire.decommission(workspace, actors["analyst"], challenger.id, reason="drop it")  # no split any more


def test_bad_input_is_refused_and_changes_nothing(workspace, actors, project):
    champion, challenger = champion_and_challenger(workspace, actors)
    never = registry.get_version(workspace, validated(workspace, actors).id)
    candidate, _, _ = __import__("tests.unit.deploy_fixtures", fromlist=["register"]).register(
        workspace, actors["analyst"], seed=3)
    analyst = actors["analyst"]
    start = dict(workspace=workspace, actor=analyst, project_id=project.id, champion_id=champion.id)
    before = _snapshot(workspace, project)
    cases = [
        (dict(challenger_id=champion.id, share=0.3), "same version"),
        (dict(challenger_id=challenger.id, share=0.0), r"outside \(0, 1\)"),
        (dict(challenger_id=challenger.id, share=1.0), r"outside \(0, 1\)"),
        (dict(challenger_id=candidate.version_id, share=0.3), "never validated"),
        (dict(challenger_id=never.id, share=0.3), "not in staging"),
    ]
    for arguments, message in cases:
        with pytest.raises(InputError, match=message):
            abtest.start_abtest(**start, **arguments)
    with pytest.raises(PermissionDenied):
        abtest.start_abtest(**{**start, "actor": actors["reviewer"]}, challenger_id=challenger.id, share=0.3)
    with pytest.raises(InputError, match="No A/B test is running"):
        abtest.conclude_abtest(workspace, analyst, project.id)
    assert _snapshot(workspace, project) == before

    abtest.start_abtest(**start, challenger_id=challenger.id, share=0.3)
    running = _snapshot(workspace, project)
    with pytest.raises(InputError, match="already running"):
        abtest.start_abtest(**start, challenger_id=challenger.id, share=0.3)
    with pytest.raises(InputError, match="no labelled outcomes"):
        abtest.conclude_abtest(workspace, analyst, project.id, decision="keep")
    status = verdict.running_status(workspace, project.id)
    assert status.verdict == verdict.NO_OUTCOMES and "No labelled outcomes yet" in status.sentence()
    labelled_traffic(workspace, project.id, (champion.id, challenger.id), (0.9, 0.9), 40, feedback=False)
    assert verdict.running_status(workspace, project.id).outcomes == 0  # answers without feedback are no outcomes
    assert _snapshot(workspace, project) == running


def test_a_challenger_found_worse_is_not_promoted(workspace, actors, project):
    champion, challenger = champion_and_challenger(workspace, actors)
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                        challenger_id=challenger.id, share=0.5)
    labelled_traffic(workspace, project.id, (champion.id, challenger.id), (0.95, 0.60), 600, seed=2)
    status = verdict.running_status(workspace, project.id)
    assert status.verdict == verdict.CHAMPION_BETTER and status.result.high < 0
    with pytest.raises(InputError, match="found the champion better"):
        abtest.conclude_abtest(workspace, actors["analyst"], project.id, decision="promote")
    ended, _ = abtest.conclude_abtest(workspace, actors["analyst"], project.id)
    assert ended.decision == "kept" and ended.result["verdict"] == verdict.CHAMPION_BETTER


def test_the_cli_runs_an_ab_test_with_exit_codes_ci_can_read(workspace, actors, project, capsys):
    import json

    from lifecycle.cli import main
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    champion, challenger = champion_and_challenger(workspace, actors)
    never, _, _ = __import__("tests.unit.deploy_fixtures", fromlist=["register"]).register(
        workspace, actors["analyst"], seed=4)
    path = workspace.path
    close_database(path)
    base = ["--workspace", str(path), "--user", "analyst"]
    start = [*base, "abtest", "start", "--project", "Churn", "--champion", str(champion.id)]
    assert main([*start, "--challenger", str(never.version_id), "--share", "0.2"]) == 2
    assert "never validated" in capsys.readouterr().err
    assert main([*start, "--challenger", str(challenger.id), "--share", "0"]) == 2
    capsys.readouterr()
    assert main([*start, "--challenger", str(challenger.id), "--share", "0.5", "--mde", "0.1"]) == 0
    assert "labelled outcomes to detect 10 points of accuracy" in capsys.readouterr().out
    assert main([*start, "--challenger", str(challenger.id), "--share", "0.5"]) == 2
    assert "already running" in capsys.readouterr().err
    assert main([*base, "abtest", "conclude", "--project", "Churn", "--keep"]) == 2
    assert "no labelled outcomes" in capsys.readouterr().err

    labelled_traffic(open_workspace(path), 1, (champion.id, challenger.id), (0.70, 0.95), 600, seed=3)
    close_database(path)
    assert main([*base, "--json", "abtest", "status", "--project", "Churn"]) == 0
    running = json.loads(capsys.readouterr().out)["running"]
    assert running["verdict"] == "challenger better" and running["low"] > 0 and "mSPRT" in running["test"]
    assert main([*base, "abtest", "conclude", "--project", "Churn", "--promote"]) == 1  # not approved: the gate
    assert "has not been approved" in capsys.readouterr().out
    assert main([*base, "abtest", "rollback", "--project", "Churn", "--reason", "stop for now"]) == 0
    assert "rolled back" in capsys.readouterr().out
    assert main([*base, "deployment", "--project", "Churn"]) == 0
    assert "100% of traffic" in capsys.readouterr().out


def test_outcomes_count_the_labels_monitor_counts(workspace, actors, project):
    """One label rule (``store.monitor_labels``): a first label that does not count ("maybe", not a
    class) gives way to the next valid one, and the test's outcomes equal Monitor's joined labels."""
    from datetime import timedelta

    from lifecycle.clock import utc_now
    from lifecycle.deploy.prediction_log import PredictionLog
    from lifecycle.monitor.labels import label_report, project_logs

    champion, challenger = champion_and_challenger(workspace, actors)
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                        challenger_id=challenger.id, share=0.5)
    labelled_traffic(workspace, project.id, (champion.id, challenger.id), (0.9, 0.9), 20, feedback=False)
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=100_000, flush_seconds=3600)
    start = utc_now()
    try:
        for i in range(20):
            log.feedback(f"req-0-{i}", "maybe", time=start + timedelta(seconds=i))  # not a class: does not count
            if i % 2 == 0:
                log.feedback(f"req-0-{i}", "yes", time=start + timedelta(seconds=30 + i))
            log.feedback(f"req-0-{i}", "no", time=start + timedelta(seconds=60 + i))  # later: a duplicate
    finally:
        log.close()
    status = verdict.running_status(workspace, project.id)
    report = label_report(workspace, project.id)
    assert status.outcomes == report.joined == 20 and status.unusable == 0
    assert report.invalid == 20 and report.duplicates == 10
    found = abtest_store.labelled_outcomes(project_logs(workspace, project.id), ("no", "yes"),
                                           version_ids=(champion.id, challenger.id), since=status.test.started_at)
    labels = dict(zip(found["request_id"], found["label"]))
    assert labels["req-0-0"] == '"yes"' and labels["req-0-1"] == '"no"'  # the first valid label, as JSON text


def test_shadow_pairs_take_the_label_that_counts(tmp_path):
    """The shadow comparison's pairs read labels by the same rule: an invalid first label gives way."""
    from datetime import timedelta

    from lifecycle.clock import utc_now
    from lifecycle.deploy.paths import feedback_dir, predictions_dir
    from lifecycle.deploy.prediction_log import ANSWER, SHADOW, PredictionLog
    from lifecycle.store.monitor_labels import logs

    log = PredictionLog(tmp_path, flush_rows=100_000, flush_seconds=3600)
    start = utc_now()
    try:
        for i, (answered, shadowed) in enumerate((("yes", "no"), ("no", "no"), ("yes", "yes"))):
            for version_id, role, said in ((1, ANSWER, answered), (2, SHADOW, shadowed)):
                log.log(request_id=f"r{i}", version_id=version_id, version=version_id, role=role, route="/predict",
                        status=200, latency_ms=1.0, inputs=[{"age": 30}], predictions=[said],
                        time=start + timedelta(seconds=i))
        log.feedback("r0", "maybe", time=start + timedelta(seconds=5))
        log.feedback("r0", "no", time=start + timedelta(seconds=6))
        log.feedback("r1", "yes", time=start + timedelta(seconds=7))
    finally:
        log.close()
    found = logs(predictions_dir(tmp_path), feedback_dir(tmp_path))
    pairs = abtest_store.shadow_pairs(found, ("no", "yes"), answer_id=1, shadow_id=2)
    assert pairs["request_id"].tolist() == ["r0", "r1", "r2"]
    assert pairs["answered"].tolist() == ['"yes"', '"no"', '"yes"'] and pairs["shadowed"].tolist()[0] == '"no"'
    assert pairs["label"].tolist()[:2] == ['"no"', '"yes"'] and pairs["label"].isna().tolist() == [False, False, True]
