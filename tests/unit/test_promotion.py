"""Promotion through gates: staging needs validated, production needs approved, one production
version per project, rollback, the shadow, and the manifest that follows what is on record."""
from __future__ import annotations

import pytest

from lifecycle import audit, retire
from lifecycle.deploy import promotion
from lifecycle.deploy.manifest import read_manifest
from lifecycle.deploy.paths import deploy_dir
from lifecycle.deploy.status import gates, stage_status
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.records import ModelState
from tests.unit import govern_fixtures
from tests.unit.test_registry import _validated


def _ready(workspace, actors, *, approve=True):
    """A validated (and, by default, signed off: approved) version of project 1 (low risk: one reviewer)."""
    govern_fixtures.make_signable(workspace, actors["analyst"], 1)
    version = _validated(workspace, actors["analyst"])
    model_states.transition(workspace, actors["analyst"], version.id, "validated", "passes")
    if approve:
        govern_fixtures.approve(workspace, actors["reviewer"], version.id)
    return registry.get_version(workspace, version.id)


def test_staging_needs_validated_and_production_needs_approved(workspace, actors, project):
    analyst = actors["analyst"]
    candidate = _validated(workspace, analyst)
    with pytest.raises(InputError, match="cannot move from candidate to staging"):
        promotion.move(workspace, analyst, candidate.id, "staging", "try")
    validated = _ready(workspace, actors, approve=False)
    staged = promotion.move(workspace, analyst, validated.id, "staging", "try it in staging")
    assert staged.state == ModelState.STAGING and not staged.approved
    with pytest.raises(InputError, match="has not been approved; production needs a reviewer's approval"):
        promotion.move(workspace, analyst, staged.id, "production", "ship it")
    [check] = [g for g in gates(staged) if g.gate == "Approved"]
    assert not check.passed and "reviewer" in check.needs
    approved = govern_fixtures.approve(workspace, actors["reviewer"], staged.id, "reviewed in staging").version
    assert approved.approved and approved.approved_by == "reviewer"
    assert approved.state == ModelState.STAGING  # approved in staging, it stays staged
    with pytest.raises(InputError, match="is already approved"):
        model_states.transition(workspace, actors["reviewer"], staged.id, "approved", "again")
    with pytest.raises(InputError, match="already approved"):
        govern_fixtures.approve(workspace, actors["reviewer"], staged.id, "again")
    live = promotion.move(workspace, analyst, approved.id, "production", "ship it")
    assert live.state == ModelState.PRODUCTION and all(g.passed for g in gates(live))
    assert stage_status(workspace, project).reason == f"Model v{live.version} is in production."


def test_one_production_version_per_project_and_rollback(workspace, actors, project):
    analyst = actors["analyst"]
    first = _ready(workspace, actors)
    second = _ready(workspace, actors)
    promotion.move(workspace, analyst, first.id, "production", "first release")
    promotion.move(workspace, analyst, second.id, "staging", "next")
    promotion.move(workspace, analyst, second.id, "production", "second release")
    assert registry.get_version(workspace, first.id).state == ModelState.STAGING  # moved back, same transaction
    manifest = read_manifest(deploy_dir(workspace.path, project.id))
    assert [v.version_id for v in manifest.versions] == [second.id] and manifest.versions[0].share == 1.0
    assert (deploy_dir(workspace.path, project.id) / manifest.versions[0].artifact).resolve() == \
        registry.artifact_path(workspace, second).resolve()

    with pytest.raises(InputError, match="needs a reason"):
        promotion.rollback(workspace, analyst, project.id, " ")
    with pytest.raises(PermissionDenied):
        promotion.rollback(workspace, actors["stakeholder"], project.id, "bad release")
    restored = promotion.rollback(workspace, analyst, project.id, "second release mislabels the rare class")
    assert restored.id == first.id and restored.state == ModelState.PRODUCTION
    assert registry.get_version(workspace, second.id).state == ModelState.STAGING
    assert [v.version_id for v in read_manifest(deploy_dir(workspace.path, project.id)).versions] == [first.id]
    actions = [e.action for e in audit.recent_events(workspace, limit=3)]
    assert actions == ["model.staging", "model.production", "deployment.rollback"]  # in the order they happened
    assert audit.verify_chain(workspace).ok


def test_nothing_to_roll_back_to_is_said_plainly(workspace, actors, project):
    with pytest.raises(InputError, match="no earlier production version"):
        promotion.rollback(workspace, actors["analyst"], project.id, "undo")


def test_a_shadow_must_be_in_staging_and_shows_in_the_manifest(workspace, actors, project):
    analyst = actors["analyst"]
    live, other = _ready(workspace, actors), _ready(workspace, actors)
    promotion.move(workspace, analyst, live.id, "production", "release")
    with pytest.raises(InputError, match="only a staging version"):
        promotion.set_shadow(workspace, analyst, project.id, other.id, "compare")
    promotion.move(workspace, analyst, other.id, "staging", "candidate for the next release")
    promotion.set_shadow(workspace, analyst, project.id, other.id, "compare on live traffic")
    manifest = read_manifest(deploy_dir(workspace.path, project.id))
    assert manifest.shadow.version_id == other.id and manifest.shadow.share == 0.0
    promotion.set_shadow(workspace, analyst, project.id, None, "enough")
    assert read_manifest(deploy_dir(workspace.path, project.id)).shadow is None


def test_the_manifest_is_rewritten_only_when_what_is_on_record_changes(workspace, actors, project):
    analyst = actors["analyst"]
    version = _ready(workspace, actors)
    promotion.move(workspace, analyst, version.id, "production", "release")
    first = promotion.manifest_for(workspace, project.id)
    assert promotion.sync_manifest(workspace, project.id).generation == first.generation
    retire.decommission(workspace, analyst, version.id, reason="end of life", confirm_no_replacement=True)
    emptied = promotion.manifest_for(workspace, project.id)
    assert emptied.generation == first.generation + 1 and emptied.versions == ()


def test_the_cli_moves_through_the_gates_with_exit_codes_ci_can_read(workspace, actors, project, capsys):
    from lifecycle.cli import main
    from lifecycle.store.db import close_database

    validated = _ready(workspace, actors, approve=False)
    previous = _ready(workspace, actors)
    promotion.move(workspace, actors["analyst"], previous.id, "production", "first release")
    path = workspace.path
    close_database(path)
    base = ["--workspace", str(path), "--user", "analyst"]
    assert main([*base, "move", str(validated.id), "staging", "--reason", "try it"]) == 0
    assert main([*base, "move", str(validated.id), "production", "--reason", "ship"]) == 1  # not approved
    assert "has not been approved" in capsys.readouterr().out
    assert main([*base, "move", str(validated.id), "candidate", "--reason", "undo"]) == 2  # no such move
    assert main(["--workspace", str(path), "--user", "stakeholder", "move", str(validated.id), "retired",
                 "--reason", "x"]) == 2  # the role may not
    reviewer = ["--workspace", str(path), "--user", "reviewer"]
    assert main([*reviewer, "move", str(validated.id), "approved", "--reason", "reviewed in staging"]) == 1
    assert "complete sign-off only" in capsys.readouterr().out  # approval is a sign-off
    assert main([*reviewer, "approve", str(validated.id), "--reason", "reviewed in staging",
                 "--item", "risks_accepted=accept:read and accepted"]) == 0
    assert main([*base, "move", str(validated.id), "production", "--reason", "second release"]) == 0
    capsys.readouterr()
    assert main([*base, "--json", "deployment", "--project", project.name]) == 0
    assert '"version_id": %d' % validated.id in capsys.readouterr().out
    assert main([*base, "rollback", "--project", project.name, "--reason", "second release misbehaves"]) == 0
    assert "is back in production" in capsys.readouterr().out
    assert main([*base, "rollback", "--project", project.name, "--reason", "again"]) == 0  # and back again
