"""The hand-over report: the whole life from the record, in Markdown and HTML, literal-safe, with the
sections other stages plug their providers into; and stage 9's status."""
from __future__ import annotations

import pytest

from lifecycle import retire
from lifecycle.problem import projects
from lifecycle.retire import handover_sections as sections
from lifecycle.retire.status import stage_status
from lifecycle.status import StageProgress
from lifecycle.store import audit_log
from tests.unit import retire_fixtures as rf

HOSTILE = "<script>alert(1)</script> **bold** [click](javascript:alert(1)) ![x](http://evil.example/p.png) | pipe"


@pytest.fixture
def retired(workspace, actors, project):
    past = rf.history(workspace, actors, project)
    projects.update_project(workspace, actors["analyst"], project.id, statement=HOSTILE)
    retire.decommission(workspace, actors["admin"], past.v1.id, reason=HOSTILE, replacement_id=past.v2.id)
    return past


def test_the_report_covers_the_whole_life(workspace, actors, project, retired):
    report = retire.build_handover(workspace, actors["stakeholder"], project.id)
    assert [v.id for v in report.versions] == [retired.v1.id, retired.v2.id]
    assert report.in_production == f"v{retired.v2.version} (#{retired.v2.id})"
    changes = [(c.version, c.to_state) for c in report.changes]
    assert changes[:4] == [(1, "registered"), (1, "validated"), (1, "approved"), (1, "production")]
    assert changes[-2:] == [(1, "retired"), (2, "production")]
    assert [m.version for m in report.metrics] == [1, 2] and report.metrics[0].metrics["roc_auc"] == (0.81, 0.7, 0.9)
    assert [(d.version, d.role, d.ended_at is None) for d in report.deployments] == [(1, "production", False),
                                                                                   (2, "production", True)]
    [line] = report.retirements
    assert (line.version_id, line.reason, line.archive_ok) == (retired.v1.id, HOSTILE, True)
    assert [(e.what, e.actor) for e in report.sections[sections.SIGN_OFFS]] == [
        ("v1 signed off, approve: evidence reviewed", "reviewer"), ("v2 signed off, approve: evidence reviewed", "reviewer")]
    assert report.sections[sections.INCIDENTS] == () and report.sections[sections.AB_DECISIONS] == ()
    markdown = retire.to_markdown(report)
    for title in ("Model versions", "States over time", "Metrics over time", "Deployments", "Incidents and alerts",
                  "A/B decisions", "Sign-offs", "Retirements", "Data", "Clean-ups"):
        assert f"## {title}" in markdown
    assert markdown.count("_None on record._") == 2
    assert "| v1 | " in markdown and "0.8100 [0.7000, 0.9000]" in markdown


def test_markdown_and_html_show_typed_text_literally(workspace, actors, project, retired):
    report = retire.build_handover(workspace, actors["stakeholder"], project.id)
    markdown = retire.to_markdown(report)
    for raw in ("<script>", "**bold**", "](javascript", "![x]", "http://evil", "| pipe"):
        assert raw not in markdown
    assert "&#60;script&#62;" in markdown  # the reason and the statement, escaped where they land
    page = retire.to_html(report)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<table>") >= 6 and "javascript:alert(1)" in page  # as text, inside escaped markup only
    assert 'href=' not in page and "<img" not in page


def test_incidents_and_ab_decisions_come_from_the_monitor_and_retrain_records(workspace, actors, project,
                                                                              monkeypatch):
    from lifecycle.monitor import alerts
    from lifecycle.retrain import abtest

    past = rf.history(workspace, actors, project)
    raised = alerts.raise_alert(workspace, project_id=project.id, model_version_id=past.v1.id, kind="drift",
                                key="psi:age", title="PSI of age 0.31 over 0.2", evidence={"psi": 0.31})
    alerts.acknowledge(workspace, actors["reviewer"], raised.id, "looking into the new intake")
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=past.v1.id, challenger_id=past.v2.id,
                        share=0.2, mde=0.05, baseline=0.8, reason="try v2 on live traffic")
    abtest.rollback_abtest(workspace, actors["analyst"], project.id, "v2 answers too slowly")
    report = retire.build_handover(workspace, actors["stakeholder"], project.id)
    assert [e.what for e in report.sections[sections.INCIDENTS]] == [
        f"drift alert #{raised.id} on v1 raised: PSI of age 0.31 over 0.2",
        f"drift alert #{raised.id} on v1 acknowledged: looking into the new intake"]
    started, ended = report.sections[sections.AB_DECISIONS]
    assert started.what.startswith("A/B test #1: challenger v2 against champion v1 started on 20% of traffic")
    assert ended.what.endswith("ended, rolled_back: v2 answers too slowly") and ended.actor == "analyst"

    # a stage plugs its own provider in with one call (here: sign-offs, as Govern will)
    monkeypatch.setitem(sections._PROVIDERS, sections.SIGN_OFFS, list(sections.providers(sections.SIGN_OFFS)))
    sections.register(sections.SIGN_OFFS, lambda ws, p: [sections.HandoverEntry(
        at="2026-01-02T03:04:05", what=f"signed off {p.name} v2 with conditions", actor="rey", source="sign-off #7")],
                      replace=True)
    report = retire.build_handover(workspace, actors["analyst"], project.id)
    assert [e.source for e in report.sections[sections.SIGN_OFFS]] == ["sign-off #7"]
    assert "signed off Churn v2 with conditions" in retire.to_markdown(report)
    with pytest.raises(KeyError, match="No hand-over section"):
        sections.register("weather", lambda ws, p: [])


def test_a_section_can_read_the_audit_trail(workspace, actors, project):
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor="monitor", action="alert.raised", entity=f"project:{project.id}",
                         details={"reason": "PSI of age 0.31 over 0.2"})
    [entry] = sections.audit_provider(sections.INCIDENTS)(workspace, project)
    assert entry.what == f"alert.raised on project #{project.id}: PSI of age 0.31 over 0.2" and entry.actor == "monitor"


def test_stage_nine_status_follows_the_record(workspace, actors, project):
    assert stage_status(workspace, project).state == StageProgress.BLOCKED
    past = rf.history(workspace, actors, project)
    state = stage_status(workspace, project)
    assert state.state == StageProgress.NOT_REACHED and state.reason.startswith("The model is live")
    retire.decommission(workspace, actors["admin"], past.v1.id, reason="replaced", replacement_id=past.v2.id)
    state = stage_status(workspace, project)  # v2 serves: the project lives on
    assert state.state == StageProgress.NOT_REACHED and state.reason.endswith("Retired so far: v1, each with its archive.")
    retire.decommission(workspace, actors["admin"], past.v2.id, reason="programme ended", confirm_no_replacement=True)
    state = stage_status(workspace, project)
    assert state.state == StageProgress.DONE and state.reason.startswith("End of life: model v2 was retired on ")
