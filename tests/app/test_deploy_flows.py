"""Deploy page: promote through the gates as each role would, then roll back, on the demo workspace."""
from __future__ import annotations

from lifecycle import auth, demo
from lifecycle.deploy import promotion
from lifecycle.govern import signoff
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _deploy_page(user: str, project_id: int, version_id: int):
    app = signed_in(user)
    app.session_state["project_id"] = project_id
    app.session_state["model_version_id"] = version_id
    app.switch_page("pages/deploy.py").run()
    no_exceptions(app)
    return app


def _button(app, label):
    return next(b for b in app.button if b.label == label)


def test_promote_through_the_gates_then_roll_back(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live, runner_up, _retired = registry.list_versions(workspace, income.id)[:3]
    # The demo staged the runner-up to challenge v1 in its A/B test (kept: v1 stays); it is still staged.
    assert (live.state, runner_up.state) == (ModelState.PRODUCTION, ModelState.STAGING)

    app = _deploy_page("ana", income.id, runner_up.id)
    assert [(m.label, m.value) for m in app.metric][0] == ("In production", "v1 (#1)")
    table = app.dataframe[0].value
    row = table.set_index("Version").loc[runner_up.label]
    assert row["Approved"] == "needs: the reviewers' sign-off"
    assert _button(app, "Move to production").disabled  # production needs a reviewer's approval
    assert any("has not been approved" in c.value for c in app.caption)

    app = _deploy_page("rey", income.id, runner_up.id)
    assert "Move to approved" not in [b.label for b in app.button]  # approval is the sign-off (Govern)
    assert any("Govern" in link.proto.label for link in app.get("page_link"))
    statements = {item: signoff.ItemInput(judgement="accept", comment=said) for item, said in demo.DEMO_ATTESTATIONS.items()}
    for reviewer in ("rey", "val"):  # a high-risk project: two reviewers
        signoff.sign_off(workspace, auth.get_user(workspace, reviewer), runner_up.id, decision="approve",
                         comment="Evidence reviewed in staging", items=statements)
    staged = registry.get_version(workspace, runner_up.id)
    assert staged.state == ModelState.STAGING and staged.approved  # approved, still staged

    app = _deploy_page("ana", income.id, runner_up.id)
    app.text_input(key=f"deploy_move_reason_{runner_up.id}").input("Runner-up replaces v1").run()
    _button(app, "Move to production").click().run()
    no_exceptions(app)
    assert registry.get_version(workspace, runner_up.id).state == ModelState.PRODUCTION
    assert registry.get_version(workspace, live.id).state == ModelState.STAGING
    assert [v.version_id for v in promotion.manifest_for(workspace, income.id).versions] == [runner_up.id]

    app = _deploy_page("ana", income.id, runner_up.id)
    app.text_input(key="rollback_reason").input("v2 mislabels the rare class")
    _button(app, "Roll back").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    assert registry.get_version(workspace, live.id).state == ModelState.PRODUCTION
    assert [v.version_id for v in promotion.manifest_for(workspace, income.id).versions] == [live.id]


def test_a_stakeholder_sees_what_serves_and_cannot_move_anything(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live = registry.list_versions(workspace, income.id)[0]
    app = _deploy_page("sam", income.id, live.id)
    assert all(b.disabled for b in app.button if b.label.startswith("Move to"))
    assert all(b.disabled for b in app.get("form_submit_button"))


def test_the_scoring_service_section_starts_and_stops_the_service(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live = registry.list_versions(workspace, income.id)[0]
    app = _deploy_page("ana", income.id, live.id)
    app.radio(key="deploy_section").set_value("Scoring service").run()
    no_exceptions(app)
    metrics = {m.label: m.value for m in app.metric}
    # Counted from the log, which holds the demo's simulated A/B traffic of seeding time: a count, not a live rate.
    assert metrics["Service"] == "down" and metrics["Requests, last 5 min"].replace(",", "").isdigit()
    _button(app, "Start the service").click().run()
    no_exceptions(app)
    try:
        assert {m.label: m.value for m in app.metric}["Service"] == "up"
        assert any("curl -s http://127.0.0.1:" in c.value for c in app.code)
    finally:
        _button(app, "Stop the service").click().run()
    assert {m.label: m.value for m in app.metric}["Service"] == "down"
