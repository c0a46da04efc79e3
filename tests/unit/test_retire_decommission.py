"""Decommissioning: traffic moves to a replacement through the production gate, the only production
version needs an explicit confirmation, nothing half-done on failure, and retired is for ever."""
from __future__ import annotations

import pytest

from lifecycle import audit, retire
from lifecycle.deploy import promotion
from lifecycle.deploy.live import Deployment
from lifecycle.deploy.manifest import read_manifest, write_manifest
from lifecycle.deploy.paths import deploy_dir
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.records import ModelState
from lifecycle.retire import archive as archive_module
from lifecycle.retire import decommissioning
from lifecycle.retire.archive import archive_root
from lifecycle.store import deployments as deployment_store
from tests.unit import deploy_model, retire_fixtures as rf


@pytest.fixture
def past(workspace, actors, project):
    return rf.history(workspace, actors, project)


def _untouched(workspace, past, events_before: int) -> None:
    """Nothing of a refused or failed decommission is left: states, records, files, trail."""
    assert registry.get_version(workspace, past.v1.id).state == ModelState.PRODUCTION
    assert registry.get_version(workspace, past.v2.id).state == ModelState.STAGING
    assert retire.retirements(workspace, past.v1.project_id) == []
    root = archive_root(workspace)
    left = list(root.rglob("*")) if root.exists() else []
    assert not [p for p in left if p.is_file() or p.name.startswith(".") or p.name.startswith("v")], left  # no bundle
    assert len(audit.recent_events(workspace, limit=10_000)) == events_before
    assert registry.artifact_path(workspace, past.v1).exists()
    assert [v.version_id for v in promotion.manifest_for(workspace, past.v1.project_id).versions] == [past.v1.id]


def test_retiring_production_moves_traffic_to_the_replacement_and_archives_it(workspace, actors, project, past):
    done = retire.decommission(workspace, actors["admin"], past.v1.id, reason="v2 predicts churn better",
                               replacement_id=past.v2.id)
    assert done.version.state == ModelState.RETIRED
    assert done.replacement.state == ModelState.PRODUCTION  # through the normal production gate
    manifest = read_manifest(deploy_dir(workspace.path, project.id))
    assert [v.version_id for v in manifest.versions] == [past.v2.id] and done.serving == (past.v2.id,)
    record = done.retirement
    assert (record.previous_state, record.replacement_id, record.no_replacement_confirmed) == (
        "production", past.v2.id, False)
    assert record.archive_path == f"archive/{project.id}/v{past.v1.version}"
    actions = [e.action for e in audit.recent_events(workspace, limit=4)]
    assert actions[-3:] == ["model.retired", "model.production", "model.archived"]
    archived = audit.recent_events(workspace, limit=1)[0]
    assert archived.details["archive_sha256"] == record.archive_sha256
    assert retire.check_archive(workspace, past.v1.id).ok
    assert done.artifact_removed and not registry.artifact_path(workspace, past.v1).exists()
    assert audit.verify_chain(workspace).ok
    production = [d for d in deployment_store.active(workspace.db.cursor(), project.id) if d.role == "production"]
    assert [d.model_version_id for d in production] == [past.v2.id]


def test_the_only_production_version_needs_a_replacement_or_an_explicit_confirmation(workspace, actors, project,
                                                                                    past):
    before = len(audit.recent_events(workspace, limit=10_000))
    with pytest.raises(InputError, match="the version in production.*confirm that nothing replaces it"):
        retire.decommission(workspace, actors["admin"], past.v1.id, reason="end of the pilot")
    _untouched(workspace, past, before)

    service = Deployment(deploy_dir(workspace.path, project.id), compiled=False)
    assert service.refresh() and service.live is not None  # serving v1
    done = retire.decommission(workspace, actors["admin"], past.v1.id, reason="end of the pilot",
                               confirm_no_replacement=True)
    assert done.retirement.no_replacement_confirmed and done.serving == ()
    assert read_manifest(deploy_dir(workspace.path, project.id)).versions == ()
    assert service.refresh() and service.live is None  # the service stops answering
    assert "nothing is served" in service.refusal
    service.close()


def test_a_retired_version_can_never_serve_again(workspace, actors, project, past):
    analyst = actors["analyst"]
    retire.decommission(workspace, actors["admin"], past.v1.id, reason="replaced", replacement_id=past.v2.id)
    retired = registry.get_version(workspace, past.v1.id)
    assert all(frm != ModelState.RETIRED for frm, _ in model_states.TRANSITIONS)  # nothing leaves retired
    assert model_states.possible_moves(workspace, actors["admin"], retired) == []
    for state in ("production", "staging", "validated"):
        with pytest.raises(InputError, match="nowhere"):
            promotion.move(workspace, analyst, retired.id, state, "bring it back")
    with pytest.raises(InputError, match="already retired"):
        retire.decommission(workspace, actors["admin"], retired.id, reason="again", confirm_no_replacement=True)
    with pytest.raises(InputError, match="only a staging version"):
        promotion.set_shadow(workspace, analyst, project.id, retired.id, "shadow it")
    with pytest.raises(InputError, match="is retired: it can never serve or score again"):
        registry.load_pipeline(workspace, retired)
    # a deployment forced onto the record behind the state machine's back is refused by the manifest
    with workspace.db.transaction() as cursor:
        deployment_store.start(cursor, project_id=project.id, model_version_id=retired.id, role="shadow", share=0.0,
                               started_by="intruder", reason="forced")
    with pytest.raises(InputError, match="can never serve again"):
        promotion.expected_manifest(workspace, project.id)


def test_the_service_refuses_a_hand_written_manifest_naming_a_retired_version(workspace, actors, project, past):
    folder = deploy_dir(workspace.path, project.id)
    service = Deployment(folder, compiled=False)
    service.refresh()
    old_entry = next(v for v in read_manifest(folder).versions)
    retire.decommission(workspace, actors["admin"], past.v1.id, reason="replaced", replacement_id=past.v2.id)
    assert service.refresh() and service.live.answering[0].entry.version_id == past.v2.id
    current = read_manifest(folder)
    write_manifest(folder, type(current)(**{**{f: getattr(current, f) for f in current.__dataclass_fields__},
                                            "versions": (old_entry,)}))
    assert not service.refresh()  # its artifact left the models folder with the retirement
    assert "Refused" in service.refusal and service.live.answering[0].entry.version_id == past.v2.id
    service.close()


@pytest.mark.parametrize("case, match", [
    ("no reason", "needs a reason"),
    ("candidate", "never passed validation"),
    ("replacement not approved", "cannot serve"),
    ("replacement is itself", "cannot replace itself"),
    ("replacement of another project", "belongs to another project"),
    ("unknown version", "No model version with id"),
])
def test_bad_requests_change_nothing(workspace, actors, project, past, case, match):
    admin = actors["admin"]
    other = rf.validated_version(workspace, actors, project_id=project.id + 1, run_id=99, approve=False)
    unapproved = rf.validated_version(workspace, actors, project.id, run_id=98, approve=False)
    candidate, _, _ = deploy_model.register(workspace, actors["analyst"], project.id, run_id=97)
    before = len(audit.recent_events(workspace, limit=10_000))
    requests = {
        "no reason": dict(version_id=past.v1.id, reason="  ", replacement_id=past.v2.id),
        "candidate": dict(version_id=candidate.id, reason="never mind"),
        "replacement not approved": dict(version_id=past.v1.id, reason="x", replacement_id=unapproved.id),
        "replacement is itself": dict(version_id=past.v1.id, reason="x", replacement_id=past.v1.id),
        "replacement of another project": dict(version_id=past.v1.id, reason="x", replacement_id=other.id),
        "unknown version": dict(version_id=999, reason="x"),
    }
    arguments = requests[case]
    with pytest.raises(Exception, match=match):
        retire.decommission(workspace, admin, arguments.pop("version_id"), **arguments)
    _untouched(workspace, past, before)


@pytest.mark.parametrize("role", ["reviewer", "stakeholder"])
def test_only_analysts_and_admins_retire(workspace, actors, past, role):
    before = len(audit.recent_events(workspace, limit=10_000))
    with pytest.raises(PermissionDenied, match="may not retire model versions"):
        retire.decommission(workspace, actors[role], past.v1.id, reason="x", replacement_id=past.v2.id)
    _untouched(workspace, past, before)
    retire.decommission(workspace, actors["analyst"], past.v1.id, reason="x", replacement_id=past.v2.id)
    assert registry.get_version(workspace, past.v1.id).state == ModelState.RETIRED


def test_a_failure_while_writing_the_archive_leaves_no_half_archive_and_no_state_change(workspace, actors, past,
                                                                                      monkeypatch):
    before = len(audit.recent_events(workspace, limit=10_000))

    def broken_copy(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive_module.shutil, "copyfile", broken_copy)  # the card and records are written by then
    with pytest.raises(OSError, match="No space left"):
        retire.decommission(workspace, actors["admin"], past.v1.id, reason="x", replacement_id=past.v2.id)
    _untouched(workspace, past, before)


def test_a_failure_after_the_archive_is_in_place_removes_it(workspace, actors, past, monkeypatch):
    before = len(audit.recent_events(workspace, limit=10_000))

    def broken_insert(*args, **kwargs):
        raise RuntimeError("the disk under the database failed")

    monkeypatch.setattr(decommissioning.retirement_store, "insert", broken_insert)
    with pytest.raises(RuntimeError, match="disk under the database"):
        retire.decommission(workspace, actors["admin"], past.v1.id, reason="x", replacement_id=past.v2.id)
    _untouched(workspace, past, before)


def test_a_validated_version_that_never_served_retires_without_confirmation(workspace, actors, project, past):
    spare = rf.validated_version(workspace, actors, project.id, run_id=past.v2.run_id, approve=False)
    done = retire.decommission(workspace, actors["analyst"], spare.id, reason="superseded before release")
    assert done.retirement.previous_state == "validated" and done.serving == (past.v1.id,)
    assert registry.get_version(workspace, past.v1.id).state == ModelState.PRODUCTION
