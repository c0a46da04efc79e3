"""Govern page: the checklist and the sign-off clicked as reviewers, analysts and stakeholders would,
the documents and the audit trail, on the demo workspace (Income over 50K is high risk: two reviewers)."""
from __future__ import annotations

import html

from lifecycle import auth, demo
from lifecycle.govern import signoff
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState
from lifecycle.store import audit_log
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _govern_page(user: str, project_id: int, version_id: int, section: str | None = None):
    app = signed_in(user)
    app.session_state["project_id"] = project_id
    app.session_state["model_version_id"] = version_id
    app.switch_page("pages/govern.py").run()
    no_exceptions(app)
    if section is not None:
        app.radio(key="govern_section").set_value(section).run()
        no_exceptions(app)
    return app


def _button(app, label):
    return next(b for b in app.button if b.label == label)


def _runner_up(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live, runner_up = registry.list_versions(workspace, income.id)[:2]
    assert runner_up.state == ModelState.STAGING  # it challenged v1 in the demo's A/B test and stays staged
    return workspace, income, runner_up


def _sign(app, version_id: int, decision: str, comment: str, items: dict[str, tuple[str, str]]):
    for item, (judgement, note) in items.items():
        app.selectbox(key=f"govern_{version_id}_{item}_judgement").set_value(judgement)
        app.text_input(key=f"govern_{version_id}_{item}_comment").input(note)
    app.radio(key=f"govern_{version_id}_decision").set_value(decision)
    app.text_area(key=f"govern_{version_id}_comment").input(comment)
    _button(app, "Sign off").click().run()
    no_exceptions(app)


ATTESTED = {item: ("accept", text) for item, text in demo.DEMO_ATTESTATIONS.items()}


def test_two_reviewers_sign_off_the_runner_up_item_by_item(demo_app):
    workspace, income, runner_up = _runner_up(demo_app)
    app = _govern_page("rey", income.id, runner_up.id)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Risk tier"] == "high" and metrics["Sign-off"] == "0 of 2"
    assert metrics["Blocking items missing"] == "0"  # validated, explained and reviewed by the demo
    assert not _button(app, "Sign off").disabled

    # An approval without the blocking statements is refused, naming them; nothing is written.
    before = audit_log.head(workspace.db.cursor())
    _sign(app, runner_up.id, "approve", "read the evidence", {})
    assert any("blocking attestation" in html.unescape(e.value) and "Retirement criteria" in html.unescape(e.value)
               for e in app.error)
    assert audit_log.head(workspace.db.cursor()) == before

    app = _govern_page("rey", income.id, runner_up.id)
    _sign(app, runner_up.id, "approve", "Evidence read item by item.", ATTESTED)
    assert not app.error, [e.value for e in app.error]
    assert any("1 of 2 reviewers approved (rey)" in html.unescape(s.value) for s in app.success)
    assert not registry.get_version(workspace, runner_up.id).approved  # high risk: one more
    assert _button(app, "Sign off").disabled  # rey signed already

    app = _govern_page("val", income.id, runner_up.id)
    _sign(app, runner_up.id, "conditional", "Second review.",
          {**ATTESTED, "prediction_logging": ("condition", "Check the log's first week before the next review.")})
    assert not app.error, [e.value for e in app.error]
    approved = registry.get_version(workspace, runner_up.id)
    assert approved.state == ModelState.STAGING and approved.approved_by == "val"  # approved, still staged
    assert [s.signer for s in signoff.signoffs(workspace, runner_up.id)] == ["rey", "val"]
    assert {m.label: m.value for m in app.metric}["Sign-off"] == "2 of 2"


def test_the_builder_and_a_stakeholder_see_the_form_disabled_with_the_reason(demo_app):
    _, income, runner_up = _runner_up(demo_app)
    app = _govern_page("ana", income.id, runner_up.id)
    assert _button(app, "Sign off").disabled
    assert any("may not sign off model versions" in html.unescape(c.value) for c in app.caption)
    app = _govern_page("sam", income.id, runner_up.id)
    assert _button(app, "Sign off").disabled
    assert all(s.disabled for s in app.selectbox if s.key and s.key.endswith("_judgement"))


def test_a_reviewer_rejects_the_runner_up(demo_app):
    workspace, income, runner_up = _runner_up(demo_app)
    app = _govern_page("val", income.id, runner_up.id)
    _sign(app, runner_up.id, "reject", "Recall is too close to its objective; retrain first.",
          {"limitations": ("reject", "The weakest cohort's error rate is not explained.")})
    assert not app.error, [e.value for e in app.error]
    assert registry.get_version(workspace, runner_up.id).state == ModelState.REJECTED
    events = audit_log.filtered(workspace.db.cursor(), version_id=runner_up.id)
    assert [e.action for e in events[-2:]] == ["govern.signoff", "model.rejected"]


def test_documents_are_offered_for_download_and_the_card_shown(demo_app):
    workspace, income, _ = _runner_up(demo_app)
    live = registry.list_versions(workspace, income.id)[0]
    app = _govern_page("sam", income.id, live.id, section="Documents")
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Model card (Markdown)", "Model card (HTML)", "Documentation pack (zip)"]
    assert len(app.code) == 0  # nothing is written for a page view
    app.toggle(key="govern_show_card").set_value(True).run()
    no_exceptions(app)
    card = next(m.value for m in app.markdown if m.value.startswith("# Model card"))  # rendered, not its source
    assert "Bias&#44; Risks&#44; and Limitations" in card and "rey" in card and "val" in card
    assert "\\" not in card  # no backslash escape left to show as `0\.93` (its JSON example holds none)


def test_the_audit_trail_filters_and_verifies(demo_app):
    workspace, income, _ = _runner_up(demo_app)
    live = registry.list_versions(workspace, income.id)[0]
    app = _govern_page("rey", income.id, live.id, section="Audit trail")
    app.selectbox(key="audit_action").set_value("govern.signoff")
    _button(app, "Filter").click().run()
    no_exceptions(app)
    table = app.dataframe[0].value
    assert list(table["action"]) == ["govern.signoff", "govern.signoff"]
    assert set(table["actor"]) == {"rey", "val"}
    _button(app, "Verify the chain").click().run()
    no_exceptions(app)
    assert any("The chain is intact" in s.value for s in app.success)

    # An edited event: the page names it.
    with workspace.db.transaction() as cursor:
        cursor.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    _button(app, "Verify the chain").click().run()
    assert any("broken at event 3" in html.unescape(e.value) for e in app.error)


def _summary(app):
    return next(d.value for d in app.dataframe if "Status" in d.value.columns).set_index("Item")


def test_statements_already_signed_off_show_as_attested_not_needed(demo_app):
    """v1 was approved by rey and val with every statement: no item of it reads "statement needed"."""
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live = registry.list_versions(workspace, income.id)[0]
    assert live.approved
    app = _govern_page("rey", income.id, live.id)
    table = _summary(app)
    assert "statement needed" not in set(table["Status"])
    assert table.loc["Applicable regulations", "Status"] == "attested"
    assert "rey: " + demo.DEMO_ATTESTATIONS["regulations"] in table.loc["Applicable regulations", "Evidence, or what to do"]
    assert any("attested" in m.value and "Applicable regulations" in m.value for m in app.markdown)


def test_a_second_reviewer_sees_the_first_statement_and_that_theirs_is_needed(demo_app):
    workspace, income, runner_up = _runner_up(demo_app)
    statements = {item: signoff.ItemInput(judgement="accept", comment=text)
                  for item, text in demo.DEMO_ATTESTATIONS.items()}
    signoff.sign_off(workspace, auth.get_user(workspace, "rey"), runner_up.id, decision="approve",
                     comment="First review.", items=statements)
    app = _govern_page("val", income.id, runner_up.id)
    assert _summary(app).loc["Human oversight", "Status"] == "attested"
    captions = [html.unescape(c.value) for c in app.caption]
    assert any("Attested by rey" in c and demo.DEMO_ATTESTATIONS["human_oversight"] in c for c in captions)
    assert any("your statement is needed too" in c for c in captions)  # high risk: each approver attests
