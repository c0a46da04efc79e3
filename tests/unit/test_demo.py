"""The demo workspace: one user per role, two projects, a frozen version and a split."""
from __future__ import annotations

import pytest

from lifecycle import audit, auth, demo
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    workspace = open_workspace(path)
    steps = []
    assert demo.seed_demo(workspace, progress=lambda fraction, message: steps.append((fraction, message)))
    yield workspace, steps
    close_database(path)


def test_one_user_of_each_role_and_two_reviewers(seeded):
    workspace, _ = seeded
    users = auth.list_users(workspace)
    assert {u.name: u.role for u in users} == demo.DEMO_USERS
    assert {u.role for u in users} == set(auth.ROLES)
    assert sorted(u.name for u in users if u.role == "reviewer") == ["rey", "val"]  # a high-risk sign-off needs two
    assert auth.authenticate(workspace, "ana", demo.DEMO_PASSWORD).role == "analyst"
    assert workspace.is_demo
    assert "`rey` (reviewer)" in demo.demo_login_hint()


def test_two_projects(seeded):
    workspace, _ = seeded
    found = {p.name: p for p in projects.list_projects(workspace)}
    assert set(found) == {"Income over 50K", "German credit risk"}
    income = found["Income over 50K"]
    assert (income.target, income.positive_class, income.sensitive) == ("income", ">50K", ("sex", "race"))
    assert [str(o) for o in projects.objectives(workspace, income.id).objectives][:2] == [
        "roc_auc >= 0.88", "recall >= 0.6"]
    credit = datasets.list_datasets(workspace, found["German credit risk"].id)
    assert len(credit) == 1 and credit[0].rows == 1000


def test_income_has_a_frozen_version_and_a_split(seeded):
    workspace, _ = seeded
    income = projects.find_project(workspace, "Income over 50K")
    raw, frozen, *retrained = datasets.list_datasets(workspace, income.id)
    assert [d.lineage.kind for d in retrained] == ["retrain", "derived"]  # the drift retrain's rows, frozen
    assert raw.rows == 32_561 and raw.lineage.kind == "bundled"
    assert frozen.lineage.kind == "derived" and frozen.lineage.parent_id == raw.id
    recipe = preparation.get_recipe(workspace, frozen.lineage.recipe_id)
    assert recipe.name == "adult-default"
    assert preparation.recipe_of(recipe).step("fnlwgt").role == "ignore"
    (split,) = preparation.splits_for(workspace, frozen.id)
    assert split.method == "stratified" and sum(split.counts.values()) == frozen.rows
    assert datasets.verify_dataset(workspace, raw) and datasets.verify_dataset(workspace, frozen)


def test_second_call_returns_false_and_changes_nothing(seeded):
    workspace, _ = seeded
    events = audit.verify_chain(workspace).events
    assert demo.seed_demo(workspace) is False
    assert audit.verify_chain(workspace).events == events


def test_audit_chain_verifies_and_progress_ends_at_one(seeded):
    workspace, steps = seeded
    verdict = audit.verify_chain(workspace)
    assert verdict.ok and verdict.events > 10
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_demo_model_has_its_explanation_and_fairness_review_on_record(seeded):
    from lifecycle import evidence
    from lifecycle.review import explain
    from lifecycle.review import fairness_evidence
    from lifecycle.models import registry
    workspace, _ = seeded
    income = projects.find_project(workspace, "Income over 50K")
    version, runner_up, retired = registry.list_versions(workspace, income.id)[:3]
    # v1 is signed off by both demo reviewers (rey with a condition) and in production; v2 challenged it in an
    # A/B test, stays staged and awaits its sign-off
    assert (version.state, version.approved_by, runner_up.state) == ("production", "val", "staging")
    assert retired.state == "retired"  # v3, retired by the admin with its archive (stage 9)
    from lifecycle.govern import signoff
    signed = signoff.signoffs(workspace, version.id)
    assert [(s.signer, s.decision) for s in signed] == [("rey", "conditional"), ("val", "approve")]
    assert [j.item for j in signed[0].conditions] == ["monitoring_plan"]
    # What the panels ask for by default is answered from the store, without computing.
    assert explain.stored_explanation(workspace, version, rows=explain.DEFAULT_ROWS) is not None
    review = fairness_evidence.latest_review(workspace, version.id)
    assert review is not None
    assert {g.name for g in review.report.groupings} == {"sex", "race", "sex × race"}
    assert {e.kind for e in evidence.for_version(workspace, version.id)} == {"explanation", "fairness"}


def test_each_stage_says_its_own_status_and_the_next_step_comes_from_the_stage_list(seeded):
    from lifecycle import portfolio, stages

    workspace, _ = seeded
    income = projects.find_project(workspace, "Income over 50K")
    states = stages.stage_states(workspace, income)
    assert [s.stage for s in states] == list(stages.NAMES) == [
        "Problem", "Data", "Develop", "Validate", "Deploy", "Monitor", "Retrain", "Govern", "Retire"]
    assert [s.state for s in states] == ["done"] * 5 + ["ready", "done", "done", "not reached"]
    # the planted age drift is confirmed at seeding's refresh: exactly one alert, open
    assert states[5].reason == ("Monitoring model v1: drifting in age; 1 open alert: acknowledge or resolve with a "
                                "comment.")
    assert states[6].reason == "A/B test #1 concluded: challenger kept."
    # v4: the retrain the drift alert caused, validated
    assert states[3].reason == "Model v4 is validated; reviewers who did not train it can sign it off (Govern)."
    assert states[7].reason == "Model v1 is signed off by rey, val. Model v4 awaits its sign-off."
    assert states[8].reason.endswith("Retired so far: v3, each with its archive.")
    assert states[4].reason == "Model v1 is in production."
    # The next step is the first stage after the ones done, never an earlier one.
    assert portfolio.summarise(workspace, income).next_step == f"Monitor: {states[5].reason}"
    credit = projects.find_project(workspace, "German credit risk")
    credit_states = stages.stage_states(workspace, credit)
    assert [s.state for s in credit_states[:5]] == ["done", "ready", "blocked", "blocked", "blocked"]
    assert credit_states[4].reason == "Needs a validated model version (Validate)."
    assert credit_states[5].reason == "Needs a version in production (Deploy) whose traffic can be watched."
    assert credit_states[7].reason == "Needs a validated model version (Validate)."
    assert portfolio.summarise(workspace, credit).next_step == (
        "Data: Freeze a dataset version with a recipe and a split.")


def test_income_has_simulated_history_with_its_planted_drift(seeded):
    """The first start writes days of simulated traffic (marked) into v1's log, age shifted from the
    third day on, with labels six hours behind; live traffic continues that drift."""
    import duckdb

    from lifecycle.deploy.paths import log_dir
    from lifecycle.monitor import history, marks

    workspace, steps = seeded
    income = projects.find_project(workspace, "Income over 50K")
    folder = log_dir(workspace.path, income.id)
    history_rows = f"""(SELECT * FROM read_parquet('{folder}/predictions/*.parquet', union_by_name = true)
                         WHERE request_id LIKE '{marks.SIMULATED_PREFIX}h%')"""  # not the A/B test's traffic
    days = duckdb.sql(f"""
        SELECT floor(epoch("time" - (SELECT min("time") FROM {history_rows})) / 86400)::INT AS day, count(*) AS n,
               avg("input:age") AS age,
               bool_and(request_id LIKE '{marks.SIMULATED_PREFIX}%' AND route = '{marks.HISTORY_ROUTE}') AS marked
        FROM {history_rows} GROUP BY day ORDER BY day""").df()
    assert days["n"].sum() == demo.DEMO_HISTORY_DAYS * demo.DEMO_HISTORY_ROWS_PER_DAY and days["marked"].all()
    clean = days[days["day"] < demo.DEMO_DRIFT_FROM_DAY]["age"]
    drifted = days[days["day"] > demo.DEMO_DRIFT_FROM_DAY]["age"]  # whole days after the drift began
    assert drifted.min() - clean.max() > 8  # the +10 years, well above a day's sampling noise
    labels = duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/feedback/*.parquet') "
                        f"WHERE request_id LIKE '{marks.SIMULATED_PREFIX}h%'").fetchall()[0][0]
    assert 0.75 * days["n"].sum() < labels < demo.DEMO_LABEL_SHARE * days["n"].sum()  # the last hours: not yet
    (run,) = history.history_runs(workspace.path, income.id)
    assert run["live_drift"] == demo.DEMO_DRIFT
    credit = projects.find_project(workspace, "German credit risk")
    assert history.history_runs(workspace.path, credit.id) == []
    assert any("simulated traffic" in message for _, message in steps)


def test_income_holds_a_concluded_ab_test_on_simulated_labelled_traffic(seeded):
    """v2 challenged v1 on half the traffic until the test had its planned outcomes (simulated, marked,
    timed after its start), and the test was concluded on its verdict, on the audit trail."""
    import duckdb

    from lifecycle.deploy import promotion
    from lifecycle.deploy.paths import log_dir
    from lifecycle.retrain import verdict

    workspace, steps = seeded
    income = projects.find_project(workspace, "Income over 50K")
    [test] = verdict.tests_for(workspace, income.id)
    assert (test.status, test.share, test.started_by, test.ended_by) == ("concluded", demo.DEMO_ABTEST_SHARE, "ana", "ana")
    result = test.result
    assert result["outcomes"] == test.plan["outcomes"] and result["verdict"] in (verdict.NO_DIFFERENCE,
                                                                                 verdict.CHALLENGER_BETTER,
                                                                                 verdict.CHAMPION_BETTER)
    assert test.decision == ("promoted" if result["winner"] == "challenger" else "kept")
    assert min(result["champion"]["outcomes"], result["challenger"]["outcomes"]) > 0.4 * result["outcomes"]
    folder = log_dir(workspace.path, income.id)
    arms = duckdb.sql(f"""SELECT version_id, count(*) AS n, min("time") AS first FROM read_parquet(
        '{folder}/predictions/*.parquet') WHERE request_id LIKE 'sim-ab%' GROUP BY version_id""").df()
    assert set(arms["version_id"]) == {test.champion_id, test.challenger_id}
    assert (arms["first"] > test.started_at).all()
    live = {v.version_id: v.share for v in promotion.manifest_for(workspace, income.id).versions}
    winner = test.challenger_id if test.decision == "promoted" else test.champion_id
    assert live == {winner: 1.0}
    actions = [e.action for e in audit.recent_events(workspace, entity_prefix=f"abtest:{test.id}")]
    assert actions == ["abtest.started", "abtest.traffic_simulated", "abtest.concluded"]
    assert any("A/B test" in message for _, message in steps)


def test_the_planted_drift_alert_caused_a_retrain_with_its_lineage(seeded):
    """Seeding's refresh confirms the planted drift and raises its alert; the analyst's policy "Retrain on
    drift" fires on it once (``seed_retrain_from_alert``) and the retrain runs to a validated candidate
    compared with v1, its lineage back to the alert."""
    from lifecycle.monitor import alerts
    from lifecycle.models import registry
    from lifecycle.retrain import lineage, policies, retraining, triggers

    workspace, steps = seeded
    income = projects.find_project(workspace, "Income over 50K")
    [alert] = alerts.alerts_for(workspace, income.id, kind="drift")
    [policy] = policies.list_policies(workspace, income.id)
    assert (policy.name, policy.trigger, policy.alert_kinds, policy.owner) == (
        demo.DEMO_RETRAIN_POLICY, "alert", ("drift",), "ana")
    [retrain] = retraining.retrains_for(workspace, income.id)
    assert (retrain.state, retrain.trigger, retrain.alert_id, retrain.acting_as) == ("done", "alert", alert.id, "ana")
    assert retrain.counts["reference_rows"] == 0 and retrain.counts["production_rows"] > 0
    assert retrain.window["last_days"] == demo.DEMO_HISTORY_DAYS - demo.DEMO_DRIFT_FROM_DAY
    candidate = registry.get_version(workspace, retrain.model_version_id)
    assert candidate.state == "validated" and retrain.validation_passed
    assert retrain.comparison["version_a"] == 1 and retrain.comparison["version_b"] == candidate.id
    assert retrain.comparison["verdict"] in ("better", "worse", "no detectable difference")
    chain = {step.link: step for step in lineage.lineage(workspace, retrain)}
    assert chain["trigger"].entity == f"alert:{alert.id}" and chain["end"].text == "done"
    assert triggers.due_policies(workspace, project_id=income.id) == []  # it fired once
    assert any("Retraining the income model" in message for _, message in steps)


def test_evidence_stays_readable_after_retirement_without_the_model_file(seeded):
    """Runs last in this module: it retires the demo model and deletes its artifact."""
    from lifecycle.review import explain
    from lifecycle.review import fairness_evidence
    from lifecycle.models import registry
    from lifecycle.store import models as model_store
    workspace, _ = seeded
    income = projects.find_project(workspace, "Income over 50K")
    version = registry.list_versions(workspace, income.id)[0]
    with workspace.db.transaction() as cursor:
        model_store.set_state(cursor, version.id, "retired")
    registry.artifact_path(workspace, version).unlink()
    retired = registry.get_version(workspace, version.id)
    explanation, _ = explain.latest_explanation(workspace, retired.id)
    assert explanation.importance and explanation.drivers
    assert explain.stored_explanation(workspace, retired, rows=explain.DEFAULT_ROWS) is not None
    assert fairness_evidence.latest_review(workspace, retired.id).report.groupings

