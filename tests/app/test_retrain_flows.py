"""Retrain page on the demo workspace: compare champion and challenger, then start an A/B test, read
its verdict as labelled outcomes arrive, conclude it; roll one back; a stakeholder only reads."""
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
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live, runner_up, _retired = registry.list_versions(workspace, income.id)
    ana = __import__("lifecycle.auth", fromlist=["get_user"]).get_user(workspace, "ana")
    promotion.move(workspace, ana, runner_up.id, "staging", "challenger for an A/B test")
    return workspace, income, live, runner_up


def test_compare_then_run_an_ab_test_to_its_verdict(demo_app):
    workspace, income, live, runner_up = _staged_runner_up(demo_app)

    app = _retrain_page("ana", income.id, "Compare")
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
    labelled_traffic(workspace, income.id, (live.id, runner_up.id), (0.70, 0.93), 700, seed=5)

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
    [ended] = verdict.tests_for(workspace, income.id)
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
