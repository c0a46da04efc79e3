"""The sign-off's rules, enforced in lifecycle/ and tested by calling the functions directly: four eyes,
roles, two reviewers for a high-risk project, blocking evidence and statements, conditions, rejection,
and the record on the hash-chained trail."""
from __future__ import annotations

import pytest

from lifecycle import audit, auth
from lifecycle.errors import GateRefused, InputError, PermissionDenied
from lifecycle.govern import checklist, signoff
from lifecycle.govern.signoff import ItemInput
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.models.approval import REVIEWERS_NEEDED, approval_state
from lifecycle.problem import projects
from lifecycle.records import ModelState
from lifecycle.store import audit_log
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.govern_fixtures import copy_workspace, signable_workspace

STATEMENTS = {item: ItemInput(judgement="accept", comment=f"{item}: read and stated") for item in (
    "regulations", "training_data_bias", "human_oversight", "risks_accepted", "privacy_security",
    "independent_validation", "retirement_criteria")}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("signoff") / "template.duckdb"
    return path, signable_workspace(path, risk_tier="high")


@pytest.fixture
def governed(template, tmp_path):
    """(workspace, users by name, version id) of a high-risk project, every blocking evidence present."""
    path = copy_workspace(template[0], tmp_path)
    workspace = open_workspace(path)
    yield workspace, {u.name: u for u in auth.list_users(workspace)}, template[1]
    close_database(path)


def _sign(workspace, user, version_id, decision="approve", comment="evidence read", items=None):
    return signoff.sign_off(workspace, user, version_id, decision=decision, comment=comment,
                            items=STATEMENTS if items is None else items)


def _trail(workspace):
    return audit_log.head(workspace.db.cursor())


def test_a_high_risk_version_needs_two_distinct_reviewers(governed):
    workspace, users, version_id = governed
    first = _sign(workspace, users["reviewer"], version_id)
    assert first.moved_to is None and first.version.state == ModelState.VALIDATED
    assert first.approval.progress == "1 of 2 reviewers approved (reviewer)"
    with pytest.raises(InputError, match="already signed"):
        _sign(workspace, users["reviewer"], version_id, comment="again")
    with pytest.raises(GateRefused, match="complete sign-off only: 1 of 2"):  # the move alone is refused
        model_states.transition(workspace, users["reviewer"], version_id, "approved", "enough")
    second = _sign(workspace, users["second"], version_id)
    assert second.moved_to == ModelState.APPROVED and second.version.approved_by == "second"
    assert [s.signer for s in signoff.signoffs(workspace, version_id)] == ["reviewer", "second"]
    with pytest.raises(InputError, match="already approved"):
        _sign(workspace, auth.add_user(workspace, users["admin"], "third", "reviewer"), version_id)


def test_a_reviewer_never_signs_what_they_trained_or_registered(governed):
    workspace, users, version_id = governed
    from lifecycle.access import users as user_admin

    user_admin.set_role(workspace, users["admin"], "analyst", "reviewer")  # the builder becomes a reviewer
    builder = auth.get_user(workspace, "analyst")
    before = _trail(workspace)
    with pytest.raises(PermissionDenied, match="trained or registered .* may not sign it off"):
        _sign(workspace, builder, version_id)
    assert _trail(workspace) == before  # nothing written
    assert signoff.why_not(workspace, builder, registry.get_version(workspace, version_id)).startswith("analyst trained")


@pytest.mark.parametrize("who", ["analyst", "stakeholder", "admin"])
def test_analysts_stakeholders_and_admins_never_sign(governed, who):
    workspace, users, version_id = governed
    before = _trail(workspace)
    for decision in ("approve", "reject"):
        with pytest.raises(PermissionDenied, match=f"{who} \\({who}\\) may not sign off model versions"):
            _sign(workspace, users[who], version_id, decision=decision)
    assert _trail(workspace) == before


def test_an_approval_asks_for_every_blocking_statement_and_names_them(governed):
    workspace, users, version_id = governed
    before = _trail(workspace)
    with pytest.raises(GateRefused) as refused:
        _sign(workspace, users["reviewer"], version_id, items={})
    for title in ("Applicable regulations", "Human oversight", "Retirement criteria", "Independent validation"):
        assert title in str(refused.value)
    with pytest.raises(InputError, match="is a reviewer's statement: accepting it needs a comment"):
        _sign(workspace, users["reviewer"], version_id,
              items={**STATEMENTS, "regulations": ItemInput(judgement="accept")})
    assert _trail(workspace) == before


def test_missing_blocking_evidence_refuses_an_approval_but_not_a_rejection(governed):
    workspace, users, version_id = governed
    analyst = users["analyst"]
    projects.update_project(workspace, analyst, registry.get_version(workspace, version_id).project_id,
                            intended_use="", out_of_scope="")
    found = checklist.version_checklist(workspace, version_id)
    assert [i.item.id for i in found.blocking_missing] == ["intended_purpose"]
    with pytest.raises(GateRefused, match="missing: Intended purpose.*Write them on the Problem page"):
        _sign(workspace, users["reviewer"], version_id)
    with pytest.raises(InputError, match="no evidence to accept"):
        _sign(workspace, users["reviewer"], version_id, items={"intended_purpose": ItemInput(judgement="accept")})
    rejected = _sign(workspace, users["reviewer"], version_id, decision="reject", comment="no stated purpose", items={})
    assert rejected.moved_to == ModelState.REJECTED and rejected.version.state == ModelState.REJECTED


def test_conditions_go_on_non_blocking_items_and_make_the_approval_conditional(governed):
    workspace, users, version_id = governed
    condition = {"monitoring_plan": ItemInput(judgement="condition", comment="drift watched from week one")}
    with pytest.raises(InputError, match="carry conditions.*conditional"):
        _sign(workspace, users["reviewer"], version_id, items={**STATEMENTS, **condition})
    with pytest.raises(InputError, match="names its conditions"):
        _sign(workspace, users["reviewer"], version_id, decision="conditional")
    with pytest.raises(InputError, match="blocks at the high risk tier; a condition cannot stand in"):
        _sign(workspace, users["reviewer"], version_id, decision="conditional",
              items={**STATEMENTS, "limitations": ItemInput(judgement="condition", comment="later")})
    with pytest.raises(InputError, match="judged condition without a comment"):
        _sign(workspace, users["reviewer"], version_id, decision="conditional",
              items={**STATEMENTS, "monitoring_plan": ItemInput(judgement="condition")})
    with pytest.raises(InputError, match="rejected, which an approval cannot hold"):
        _sign(workspace, users["reviewer"], version_id,
              items={**STATEMENTS, "limitations": ItemInput(judgement="reject", comment="cohorts unexplained")})
    signed = _sign(workspace, users["reviewer"], version_id, decision="conditional", items={**STATEMENTS, **condition})
    assert [(j.item, j.comment, j.status) for j in signed.signoff.conditions] == [
        ("monitoring_plan", "drift watched from week one", "missing")]


def test_bad_input_is_refused_before_anything_is_written(governed):
    workspace, users, version_id = governed
    before = _trail(workspace)
    with pytest.raises(InputError, match="needs a comment"):
        _sign(workspace, users["reviewer"], version_id, comment="  ")
    with pytest.raises(InputError, match="Decision 'maybe'"):
        _sign(workspace, users["reviewer"], version_id, decision="maybe")
    with pytest.raises(InputError, match="Unknown checklist item"):
        _sign(workspace, users["reviewer"], version_id, items={"vibes": ItemInput(judgement="accept")})
    with pytest.raises(InputError, match="judgement 'ok'"):
        _sign(workspace, users["reviewer"], version_id, items={"inventory": ItemInput(judgement="ok")})
    with pytest.raises(InputError, match="is not ID=JUDGEMENT"):
        signoff.parse_item("inventory")
    assert signoff.parse_item("privacy_security=accept:DPIA: done") == (
        "privacy_security", ItemInput(judgement="accept", comment="DPIA: done"))
    assert _trail(workspace) == before


def test_each_sign_off_is_dated_named_and_on_the_hash_chained_trail(governed):
    workspace, users, version_id = governed
    signed = _sign(workspace, users["reviewer"], version_id).signoff
    event = audit_log.event_at(workspace.db.cursor(), signed.audit_seq)
    assert (event.action, event.actor, event.entity) == ("govern.signoff", "reviewer", f"model:{version_id}")
    assert event.details["decision"] == "approve" and event.details["checklist"] == signed.checklist_hash
    assert event.details["items"]["regulations"] == ["accept", "regulations: read and stated"]
    assert signed.signed_at is not None and signed.role == "reviewer" and signed.risk_tier == "high"
    final = _sign(workspace, users["second"], version_id)
    moves = audit_log.filtered(workspace.db.cursor(), version_id=version_id)[-2:]
    assert [e.action for e in moves] == ["govern.signoff", "model.approved"]  # one transaction, in order
    assert moves[1].details["reason"].startswith("signed off by reviewer, second")
    assert final.signoff.audit_seq == moves[0].seq and audit.verify_chain(workspace).ok


def test_a_new_validation_asks_for_a_new_sign_off(governed):
    from lifecycle.validate import stage as validate_stage

    workspace, users, version_id = governed
    _sign(workspace, users["reviewer"], version_id)
    validate_stage.validate_version(workspace, users["analyst"], version_id, n_bootstrap=30)
    standing = signoff.approval(workspace, version_id)
    assert standing.approvals == () and standing.needed == 2


def test_reviewers_needed_by_tier_and_the_count_rule():
    assert REVIEWERS_NEEDED == {"low": 1, "medium": 1, "high": 2}
    from datetime import datetime

    from lifecycle.records import ItemJudgement, ModelVersion, SignOff

    version = ModelVersion(id=1, project_id=1, run_id=1, version=1, state=ModelState.VALIDATED, artifact_hash="h",
                           input_schema=(), trained_by="ana", created_at=datetime(2026, 1, 1), created_by="ana",
                           state_changed_at=datetime(2026, 1, 1))

    def signed(signer, decision="approve", day=2):
        return SignOff(id=day, model_version_id=1, project_id=1, signer=signer, role="reviewer", decision=decision,
                       comment="c", items=(ItemJudgement(item="inventory", judgement="accept"),), risk_tier="high",
                       checklist_hash="x", audit_seq=day, signed_at=datetime(2026, 1, day))

    assert approval_state(version, [signed("rey")], risk_tier="low", validated_at=None).complete
    assert not approval_state(version, [signed("rey")], risk_tier="high", validated_at=None).complete
    assert approval_state(version, [signed("rey"), signed("val", "conditional", 3)], risk_tier="high",
                          validated_at=None).complete
    assert not approval_state(version, [signed("rey"), signed("ana", day=3)], risk_tier="high",
                              validated_at=None).complete  # the builder never counts
    assert not approval_state(version, [signed("rey"), signed("val", "reject", 3)], risk_tier="low",
                              validated_at=None).complete
    assert not approval_state(version, [signed("rey", day=2)], risk_tier="low",
                              validated_at=datetime(2026, 1, 5)).complete  # signed before the latest validation
    assert approval_state(version, [signed("rey")], risk_tier="unknown", validated_at=None).needed == 2
