"""Develop and Validate, clicked as an analyst and a reviewer would."""
from __future__ import annotations

import html

import time

from lifecycle import jobs
from lifecycle.models import registry
from lifecycle.develop import runs
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _button(app, label):
    return next(b for b in app.button if b.label == label)


def _wait_for_jobs(workspace, project_id: int, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while any(j.state.running for j in jobs.recent_for(workspace, project_id)):
        assert time.time() < deadline, "the search did not finish"
        time.sleep(0.2)


def test_train_register_and_validate_a_model(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    before = runs.leaderboard(workspace, income.id).total
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.switch_page("pages/develop.py").run()
    no_exceptions(app)
    app.selectbox(key="develop_data").set_value(0).run()  # the prepared Adult data, not the drift retrain's rows
    app.selectbox(key="develop_algorithm").set_value("linear").run()
    app.selectbox(key="develop_method").set_value("none").run()
    app.number_input(key="develop_folds").set_value(2).run()
    _button(app, "Start").click().run()
    no_exceptions(app)
    _wait_for_jobs(workspace, income.id)
    app.run()
    board = runs.leaderboard(workspace, income.id)
    assert board.total == before + 1
    new_run = max(r.id for r in board.runs)
    app.radio(key="develop_section").set_value("Register model").run()
    app.selectbox(key="register_run").set_value(new_run).run()
    _button(app, "Register as model version").click().run()
    no_exceptions(app)
    version = registry.list_versions(workspace, income.id)[-1]
    assert version.run_id == new_run and version.state == "candidate"

    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    app.select_slider(key="validate_n").set_value(50).run()
    _button(app, "Validate on the test split").click().run()
    no_exceptions(app)
    assert any("Verdict" in m.value for m in app.markdown)
    assert registry.get_version(workspace, version.id).state == "validated"  # seeded: ROC AUC 0.91 >= 0.88, recall 0.61 >= 0.6


def test_a_reviewer_cannot_validate_and_approves_through_the_govern_page(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    # v1 is in production; v2 (the search's runner-up) is staged (it challenged v1 in the demo's A/B test)
    # and awaits its sign-off
    version = registry.list_versions(workspace, income.id)[1]
    assert version.state == "staging" and not version.approved
    app = signed_in("rey")
    app.session_state["project_id"] = income.id
    app.session_state["model_version_id"] = version.id
    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    assert _button(app, "Validate on the test split").disabled
    assert "Move to approved" not in [b.label for b in app.button]
    assert [link.proto.page for link in app.get("page_link") if "sign-off" in link.proto.label] != []


def test_validate_page_says_how_many_positives_the_test_split_holds(demo_app):
    """Issue 10, case 6: the count of positives sits beside the headline metric."""
    from lifecycle.validate import stage as validate_stage
    from lifecycle.validate.report import ValidationReport

    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    version = registry.list_versions(workspace, income.id)[0]  # v1, in production: the version in focus
    report = ValidationReport.from_dict(validate_stage.latest_stored(workspace, version.id).report)
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.session_state["model_version_id"] = version.id
    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    [rows] = [m for m in app.metric if m.label == "Test rows"]
    assert rows.value == f"{report.n_test:,}" and rows.delta == f"{report.positives:,} positive"
    assert any(report.class_count_text in html.unescape(c.value) for c in app.caption)


def test_an_analyst_finds_no_approve_button_only_the_way_to_govern(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.session_state["model_version_id"] = registry.list_versions(workspace, income.id)[1].id  # staged v2
    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    assert "Move to approved" not in [b.label for b in app.button]
    assert any("reviewers' sign-off" in link.proto.label for link in app.get("page_link"))


def test_every_develop_section_renders_on_the_demo(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.switch_page("pages/develop.py").run()
    no_exceptions(app)
    section = app.radio(key="develop_section")
    assert section.value == "Leaderboard" and len(app.get("plotly_chart")) == 1
    section.set_value("Compare runs").run()
    no_exceptions(app)
    assert len(app.multiselect(key="compare_runs").value) == 3 and len(app.get("plotly_chart")) == 1
    app.radio(key="develop_section").set_value("Tuning & learning curve").run()
    no_exceptions(app)
    assert app.selectbox(key="tuning_algorithm").value and len(app.get("plotly_chart")) == 1
    app.radio(key="develop_section").set_value("Register model").run()
    no_exceptions(app)
    assert _button(app, "Register as model version") is not None
