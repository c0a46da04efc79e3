"""Retrain page on the demo workspace: compare champion and challenger, then start an A/B test, read
its verdict as labelled outcomes arrive, conclude it; roll one back; a stakeholder only reads. Retraining:
a policy made on the page runs and shows its lineage; an alert fires its policy when the page loads and
the running retrain is cancelled from the page."""
from __future__ import annotations

import html

from lifecycle.deploy import promotion
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.retrain import verdict
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in
from tests.unit.retrain_fixtures import labelled_traffic


def _retrain_page(user: str, project_id: int, section: str | None = None):
    app = signed_in(user)
    app.session_state["project_id"] = project_id
    app.switch_page("pages/retrain.py").run()
    no_exceptions(app)
    if section is not None:
        app.radio(key="retrain_section").set_value(section).run()
        no_exceptions(app)
    return app


def _button(app, label):
    return next(b for b in [*app.button, *app.get("form_submit_button")] if b.label == label)


def _staged_runner_up(demo_app):
    """The demo's v1 in production and v2, staged since it challenged v1 in the demo's concluded A/B test."""
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live, runner_up = registry.list_versions(workspace, income.id)[:2]
    assert (live.state, runner_up.state) == ("production", "staging")
    return workspace, income, live, runner_up


def test_compare_then_run_an_ab_test_to_its_verdict(demo_app):
    workspace, income, live, runner_up = _staged_runner_up(demo_app)

    app = _retrain_page("ana", income.id, "Compare")
    app.selectbox(key="compare_b").set_value(runner_up.id)  # the newest version is the default challenger
    _button(app, "Compare").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    verdict_line = next(m.value for m in app.markdown if "badge" in m.value and "ROC AUC" in m.value)
    assert "by DeLong" in verdict_line
    assert [m.label for m in app.metric][:2] == [f"A: v{live.version}", f"B: v{runner_up.version}"]

    app = _retrain_page("ana", income.id)
    assert any("labelled outcomes to detect" in c.value for c in app.caption)  # the calculator
    app.selectbox(key="abtest_challenger").set_value(runner_up.id)
    app.slider(key="abtest_share").set_value(0.5)
    app.text_input(key="abtest_reason").input("Does the runner-up answer better on live traffic?")
    _button(app, "Start the A/B test").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    shares = {v.version_id: v.share for v in promotion.manifest_for(workspace, income.id).versions}
    assert shares == {live.id: 0.5, runner_up.id: 0.5}

    app = _retrain_page("ana", income.id)
    assert any("No labelled outcomes yet" in m.value for m in app.markdown)
    assert _button(app, "Conclude").disabled  # nothing to conclude on yet
    labelled_traffic(workspace, income.id, (live.id, runner_up.id), (0.70, 0.93), 700, seed=5,
                     classes=(">50K", "<=50K"))  # the demo's classes: other labels do not count

    app = _retrain_page("ana", income.id)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Labelled outcomes"].startswith("700 of")
    assert any("Challenger better" in m.value and "mSPRT" not in m.value for m in app.markdown)
    assert any("mSPRT" in c.value and "valid however often" in c.value for c in app.caption)  # names its test
    assert app.get("plotly_chart")  # the effect's path and its interval
    app.radio(key="abtest_decision").set_value("keep")
    app.text_input(key="abtest_conclude_reason").input("Keep v1 until a reviewer approves v2")
    _button(app, "Conclude").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    ended = verdict.tests_for(workspace, income.id)[0]  # newest first; the demo's own test comes after
    assert (ended.status, ended.decision, ended.ended_by) == ("concluded", "kept", "ana")
    assert ended.result["verdict"] == verdict.CHALLENGER_BETTER
    assert {v.version_id for v in promotion.manifest_for(workspace, income.id).versions} == {live.id}

    app = _retrain_page("ana", income.id)
    assert app.dataframe[0].value.iloc[0]["Outcome"] == "kept"  # past tests


def test_roll_back_a_running_test_and_a_stakeholder_only_reads(demo_app):
    workspace, income, live, runner_up = _staged_runner_up(demo_app)
    app = _retrain_page("ana", income.id)
    app.slider(key="abtest_share").set_value(0.2)
    _button(app, "Start the A/B test").click().run()
    no_exceptions(app)

    app = _retrain_page("sam", income.id)
    assert _button(app, "Roll back").disabled and _button(app, "Conclude").disabled
    assert any("may not start" in html.unescape(c.value) and "A/B tests" in html.unescape(c.value)
               for c in app.caption)

    app = _retrain_page("ana", income.id)
    app.text_input(key="abtest_rollback_reason").input("The challenger is slow")
    _button(app, "Roll back").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    assert verdict.tests_for(workspace, income.id)[0].status == "rolled_back"
    assert {v.version_id: v.share for v in promotion.manifest_for(workspace, income.id).versions} == {live.id: 1.0}


def test_the_version_diff_shows_both_versions(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = _retrain_page("rey", income.id, "Version diff")
    table = app.dataframe[0].value
    assert {"Data", "Model", "Metrics", "Drivers"} <= set(table["Section"])
    assert "differs" in set(table["Differs"])


def _retraining(user: str, project_id: int):
    return _retrain_page(user, project_id, "Retraining")


def test_a_policy_made_on_the_page_runs_and_shows_its_lineage(demo_app):
    from lifecycle.retrain import policies, retraining

    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = _retraining("ana", income.id)
    app.text_input(key="policy_name_new").input("Refit on recent rows")
    app.radio(key="policy_window_new").set_value("production")
    app.radio(key="policy_span_new").set_value("last")
    app.number_input(key="policy_last_new").set_value(2.0)
    app.radio(key="policy_search_new").set_value("production_params")
    _button(app, "Create policy").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    policy = next(p for p in policies.list_policies(workspace, income.id) if p.name == "Refit on recent rows")
    assert (policy.name, policy.trigger, policy.window.kind, policy.window.last_days, policy.search.source) == (
        "Refit on recent rows", "manual", "production", 2.0, "production_params")

    app = _retraining("ana", income.id)
    app.selectbox(key="retrain_policy_pick").set_value(policy.id).run()
    _button(app, "Run now").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    started = retraining.retrains_for(workspace, income.id)[0]
    job = retraining.job_of(workspace, started.id)
    assert job is None or job.join(300)
    done = retraining.get_retrain(workspace, started.id)
    assert done.state == "done", done.message

    candidate = registry.get_version(workspace, done.model_version_id)
    app = _retraining("ana", income.id)
    shown = [html.unescape(m.value) for m in app.markdown]
    assert any(f"**Retrain #{done.id}** done" in m for m in shown)  # the newest retrain's lineage
    assert any("**Trigger**: run by ana" in m for m in shown)
    assert any(f"**Candidate**: v{candidate.version}" in m for m in shown)
    assert any("**Comparison**: " + done.comparison["sentence"] in m for m in shown)
    assert [m.label for m in app.metric][:2] == ["Production (#1)", f"Retrained (#{candidate.id})"]
    assert app.dataframe[1].value.iloc[0]["State"] == "done"  # the retrains table, newest first


def test_an_alert_fires_its_policy_when_the_page_loads_and_the_retrain_is_cancelled_there(demo_app):
    from lifecycle import auth
    from lifecycle.monitor import alerts
    from lifecycle.retrain import lineage, policies, retraining

    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    ana = auth.get_user(workspace, "ana")
    for seeded in policies.list_policies(workspace, income.id):  # the demo's own policy would fire first
        policies.disable_policy(workspace, ana, seeded.id)
    for seeded in alerts.open_alerts(workspace, income.id):  # the demo's drift alert: retrained on already
        alerts.resolve(workspace, ana, seeded.id, "Retrained on the rows since the drift (the demo's retrain).")
    policies.create_policy(workspace, ana, income.id, name="on drift", trigger="alert", alert_kinds=["drift"],
                           window=policies.data_window("production", last_days=2),
                           search=policies.search_choice("custom", algorithm="random_forest", method="random",
                                                         trials=40, cv_folds=3))
    alert = alerts.raise_alert(workspace, project_id=income.id, model_version_id=1, kind="drift", key="test:hours",
                               title="hours drifted", evidence={"column": "hours_per_week"})
    app = _retraining("rey", income.id)  # any page load checks what is due; the policy acts as its owner
    started = retraining.running_retrain(workspace, income.id)
    assert started is not None and (started.alert_id, started.acting_as) == (alert.id, "ana")
    assert _button(app, "Cancel").disabled  # a reviewer may not cancel it
    assert any("may not set retraining policies" in html.unescape(c.value) for c in app.caption)

    app = _retraining("ana", income.id)
    _button(app, "Cancel").click().run()
    no_exceptions(app)
    job = retraining.job_of(workspace, started.id)
    assert job is None or job.join(300)
    ended = retraining.get_retrain(workspace, started.id)
    assert ended.state == "cancelled" and ended.model_version_id is None
    chain = {step.link: step.text for step in lineage.lineage(workspace, ended)}
    assert chain["trigger"].startswith(f"drift alert #{alert.id}: hours drifted")

    app = _retraining("ana", income.id)
    assert retraining.running_retrain(workspace, income.id) is None  # the alert fired once
    assert any(f"**Retrain #{ended.id}** cancelled" in html.unescape(m.value) for m in app.markdown)


def test_a_stakeholder_reads_the_policies_but_may_not_run_them(demo_app):
    from lifecycle import auth
    from lifecycle.retrain import policies

    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    policies.create_policy(workspace, auth.get_user(workspace, "ana"), income.id, name="weekly", trigger="schedule",
                           every_days=7)
    app = _retraining("sam", income.id)
    assert _button(app, "Run now").disabled and _button(app, "Disable").disabled
    assert _button(app, "Create policy").disabled
    assert any("may not set retraining policies" in html.unescape(c.value) for c in app.caption)
    assert "weekly" in list(app.dataframe[0].value["Name"])
