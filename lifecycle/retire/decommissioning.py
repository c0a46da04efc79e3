"""Decommissioning a model version: the reason, the replacement, stop serving, archive, ``retired``.

One transaction holds the whole end of life: the version moves to ``retired`` through the state
machine (``models.states.retire``, which ends its deployments), a replacement takes production
through the normal production gate when the retired version served it, the archive bundle is
written (atomically, ``retire.archive``) and the retirement is recorded with the bundle's digest on
the audit trail. Any failure rolls the records back and removes the bundle, so nothing is half done.
Afterwards the deployment manifest is rewritten from the record (``deploy.promotion.sync_manifest``):
the scoring service reloads it and stops answering with the retired version, and a service left with
nothing to serve is stopped. The artifact then leaves the live models folder (its copy is in the
archive) unless another version that is not retired shares the file.

Retiring the version in production with no replacement stops the service from answering, so it
needs ``confirm_no_replacement=True``.
"""
from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass

from lifecycle import evidence
from lifecycle.auth import Permission, can, require
from lifecycle.clock import utc_now
from lifecycle.deploy import promotion, serving
from lifecycle.errors import InputError, LifecycleError, NotFound
from lifecycle.models import registry, states
from lifecycle.problem.projects import get_project
from lifecycle.records import ModelState, ModelVersion, Project, Retirement, User
from lifecycle.govern.audit_trail import audit_excerpt
from lifecycle.retire.archive import (ArchiveBundle, ArchiveCheck, card_text, archive_folder, events_json, json_bytes,
                                      relative_path, verify_archive, write_bundle)
from lifecycle.store import audit_log
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.store import retirements as retirement_store
from lifecycle.workspace import Workspace

RETIRABLE = (ModelState.VALIDATED, ModelState.APPROVED, ModelState.STAGING, ModelState.PRODUCTION)
CAN_SERVE = (ModelState.APPROVED, ModelState.STAGING, ModelState.PRODUCTION)  # and approved: production's gate


@dataclass(frozen=True, kw_only=True)
class Decommissioned:
    """What a decommission did."""

    retirement: Retirement
    version: ModelVersion  # now retired
    replacement: ModelVersion | None  # as it stands afterwards (in production when traffic moved to it)
    serving: tuple[int, ...]  # version ids the project's manifest answers with now
    service_stopped: bool  # the project's service ran and was stopped: nothing is left to serve
    artifact_removed: bool  # the artifact left the live models folder (its copy is in the archive)
    notes: tuple[str, ...] = ()


def retirable_versions(workspace: Workspace, project_id: int) -> list[ModelVersion]:
    """The project's versions that can be retired (validated or later, not retired), oldest first."""
    return [v for v in registry.list_versions(workspace, project_id) if v.state in RETIRABLE]


def replacement_candidates(workspace: Workspace, project_id: int, *, besides: int | None = None) -> list[ModelVersion]:
    """The project's versions that could take over production (approved, not closed), but ``besides``."""
    return [v for v in registry.list_versions(workspace, project_id)
            if v.id != besides and v.state in CAN_SERVE and v.approved]


def retirement_of(workspace: Workspace, version_id: int) -> Retirement | None:
    """The retirement record of a version, or None when it is not retired."""
    return retirement_store.get(workspace.db.cursor(), version_id)


def retirements(workspace: Workspace, project_id: int) -> list[Retirement]:
    """The project's retirements, oldest first."""
    return retirement_store.for_project(workspace.db.cursor(), project_id)


def check_archive(workspace: Workspace, version_id: int) -> ArchiveCheck:
    """Check a retired version's archive bundle file by file and its manifest against the digest on
    the retirement record. Raises NotFound when the version has no retirement on record."""
    found = retirement_of(workspace, version_id)
    if found is None:
        raise NotFound(f"Model version #{version_id} has no retirement on record.",
                       "Only a retired version has an archive; list them on the Retire page.")
    return verify_archive(workspace.artifacts_dir / found.archive_path, found.archive_sha256)


def _replacement(workspace: Workspace, actor: User, version: ModelVersion,
                 replacement_id: int | None) -> ModelVersion | None:
    if replacement_id is None:
        return None
    replacement = registry.get_version(workspace, replacement_id)
    if replacement.id == version.id:
        raise InputError(f"Model {version.label} cannot replace itself.", "Name another version, or none.")
    if replacement.project_id != version.project_id:
        raise InputError(f"Model {replacement.label} belongs to another project and cannot replace {version.label}.",
                         "Name a version of the same project.")
    if replacement.state not in CAN_SERVE or not replacement.approved:
        raise InputError(f"Model {replacement.label} cannot serve: a replacement must be an approved version in "
                         "approved, staging or production.",
                         "Have a reviewer approve it first (Validate or Deploy page), or name another version.")
    if version.state == ModelState.PRODUCTION:  # traffic moves to it: its production gate must hold now
        states.TRANSITIONS[(replacement.state, ModelState.PRODUCTION)](workspace, actor, replacement)
        if not registry.artifact_path(workspace, replacement).exists():
            raise InputError(f"The artifact of {replacement.label} is missing, so it cannot take production.",
                             "Restore the workspace's .files folder from a backup, or name another version.")
    return replacement


def _check(workspace: Workspace, actor: User, version_id: int, reason: str, replacement_id: int | None,
           confirm_no_replacement: bool) -> tuple[ModelVersion, ModelVersion | None]:
    require(actor, Permission.RETIRE_MODEL)
    if not reason.strip():
        raise InputError("Retiring a model version needs a reason.",
                         "Say why it ends, in a sentence: it goes to the record, the archive and the hand-over report.")
    version = registry.get_version(workspace, version_id)
    if version.state == ModelState.RETIRED:
        raise InputError(f"Model {version.label} is already retired; retirement is final.",
                         "Its archive and reason are on the Retire page.")
    if version.state not in RETIRABLE:
        raise InputError(f"Model {version.label} never passed validation, so there is nothing to retire.",
                         "Reject it instead (Validate page), or validate it first.")
    replacement = _replacement(workspace, actor, version, replacement_id)
    if version.state == ModelState.PRODUCTION and replacement is None and not confirm_no_replacement:
        raise InputError(f"Model {version.label} is the version in production; retiring it without a replacement "
                         "leaves the project with nothing to serve.",
                         "Name a replacement (an approved version of this project), or confirm that nothing "
                         "replaces it (confirm_no_replacement, or --confirm-no-replacement).")
    return version, replacement


def decommission(workspace: Workspace, actor: User, version_id: int, *, reason: str,
                 replacement_id: int | None = None, confirm_no_replacement: bool = False) -> Decommissioned:
    """Retire ``version_id`` for ``reason``: traffic moves to ``replacement_id`` (approved, same
    project) when the version served production, it stops serving, its archive bundle is written and
    it moves to ``retired`` (terminal), all in one transaction; then the manifest follows.

    Raises PermissionDenied (needs RETIRE_MODEL; the replacement's promotion needs MOVE_MODEL),
    NotFound (no such version), InputError (no reason; not validated; already retired; a replacement
    that cannot serve; the production version with no replacement and no ``confirm_no_replacement``),
    GateRefused (the replacement's production gate). Nothing is written when it raises."""
    version, replacement = _check(workspace, actor, version_id, reason, replacement_id, confirm_no_replacement)
    reason = reason.strip()
    project = get_project(workspace, version.project_id)
    was_production = version.state == ModelState.PRODUCTION
    written: ArchiveBundle | None = None
    try:
        with workspace.db.transaction() as cursor:
            current = model_store.get_version(cursor, version.id)
            if current is None or current.state != version.state:  # another session moved it meanwhile
                raise InputError(f"Model {version.label} changed state while it was being retired.",
                                 "Look at it again and retry.")
            card = card_text(workspace, version, actor.name)  # as it stood while it could serve
            deployments = deployment_store.for_version(cursor, version.id)
            retired = states.retire(workspace, actor, version.id, reason)
            if was_production and replacement is not None and replacement.state != ModelState.PRODUCTION:
                states.transition(workspace, actor, replacement.id, ModelState.PRODUCTION,
                                  f"replaces v{version.version}, retired: {reason}")
            if was_production and replacement is None:
                _end_shadow(cursor, actor, project, version)
            details = _details(version, replacement, actor, reason, was_production, deployments)
            written = write_bundle(archive_folder(workspace, version),
                                   _contents(workspace, cursor, version, retired, card, details),
                                   {f"model/{version.artifact_hash}.skops": _artifact(workspace, version)})
            shared = retirement_store.versions_keeping_artifact(cursor, version.artifact_hash, besides=version.id) > 0
            record = retirement_store.insert(
                cursor, model_version_id=version.id, project_id=version.project_id, version=version.version,
                reason=reason, previous_state=version.state, replacement_id=replacement.id if replacement else None,
                no_replacement_confirmed=was_production and replacement is None,
                archive_path=relative_path(workspace, written.folder), archive_sha256=written.sha256,
                archive_files=written.files, archive_bytes=written.bytes, retired_by=actor.name)
            audit_log.append(cursor, actor=actor.name, action="model.archived", entity=f"model:{version.id}",
                             details={"project_id": version.project_id, "version": version.version,
                                      "archive": record.archive_path, "archive_sha256": written.sha256,
                                      "files": written.files, "bytes": written.bytes,
                                      "replacement_id": record.replacement_id, "previous_state": version.state,
                                      "no_replacement_confirmed": record.no_replacement_confirmed,
                                      "artifact_left_in_models": shared})
    except BaseException:
        if written is not None:
            shutil.rmtree(written.folder, ignore_errors=True)
        raise
    return _afterwards(workspace, actor, project, record, shared)


def _afterwards(workspace: Workspace, actor: User, project: Project, record: Retirement,
                shared: bool) -> Decommissioned:
    """After the commit: the manifest follows the record, an idle service stops, the artifact leaves."""
    notes = []
    serving_now: tuple[int, ...] = ()
    try:
        manifest = promotion.sync_manifest(workspace, project.id, actor.name)
        serving_now = tuple(v.version_id for v in manifest.versions)
    except LifecycleError as error:
        notes.append(f"The deployment manifest could not be rewritten ({error}); the Deploy page rewrites it.")
    stopped = False
    if not serving_now and can(actor, Permission.RUN_SERVICE) and serving.status(workspace, project).running:
        stopped = serving.stop(workspace, actor, project)
    version = registry.get_version(workspace, record.model_version_id)
    removed = False
    if not shared:
        try:
            registry.artifact_path(workspace, version).unlink(missing_ok=True)
            removed = True
        except OSError as error:
            notes.append(f"The artifact stayed in the models folder ({error}); it can no longer be loaded anyway.")
    replacement = registry.get_version(workspace, record.replacement_id) if record.replacement_id else None
    return Decommissioned(retirement=record, version=version, replacement=replacement, serving=serving_now,
                          service_stopped=stopped, artifact_removed=removed, notes=tuple(notes))


def _end_shadow(cursor, actor: User, project: Project, version: ModelVersion) -> None:
    """Production retired with nothing to replace it: a shadow has nothing left to shadow."""
    for deployment in deployment_store.active(cursor, project.id):
        if deployment.role == "shadow":
            deployment_store.end(cursor, deployment.id, ended_by=actor.name,
                                 reason=f"production v{version.version} retired with no replacement")
            audit_log.append(cursor, actor=actor.name, action="deployment.shadow", entity=f"project:{project.id}",
                             details={"version_id": None, "ended": deployment.model_version_id,
                                      "retired_id": version.id,
                                      "reason": f"production v{version.version} retired with no replacement"})


def _artifact(workspace: Workspace, version: ModelVersion):
    path = registry.artifact_path(workspace, version)
    if not path.exists():
        raise NotFound(f"The artifact of model {version.label} is missing ({path.name}), so it cannot be archived.",
                       "Restore the workspace's .files folder from a backup, then retire it.")
    return path


def _details(version: ModelVersion, replacement: ModelVersion | None, actor: User, reason: str, was_production: bool,
             deployments) -> dict:
    return {"model_version_id": version.id, "project_id": version.project_id, "version": version.version,
            "reason": reason, "previous_state": str(version.state), "retired_by": actor.name,
            "retired_at": utc_now().isoformat(timespec="seconds") + "Z",
            "replacement": None if replacement is None else {"model_version_id": replacement.id,
                                                             "version": replacement.version},
            "traffic_moved_to_replacement": was_production and replacement is not None,
            "no_replacement_confirmed": was_production and replacement is None,
            "deployments": [asdict(d) for d in deployments],
            "note": "The audit trail's model.archived event, written after this bundle, holds the SHA-256 of "
                    "CHECKSUMS.sha256."}


def _contents(workspace: Workspace, cursor, version: ModelVersion, retired: ModelVersion, card: str,
              details: dict) -> dict[str, bytes]:
    from lifecycle.develop import training  # the run record; scikit-learn is loaded by then anyway (the card)

    try:
        run = asdict(training.get_run(workspace, version.run_id))
    except NotFound:
        run = None
    contents = {
        "MODEL_CARD.md": card.encode(),
        "model/input_schema.json": json_bytes([asdict(c) for c in version.input_schema]),
        "record/version.json": json_bytes({"version": asdict(retired), "run": run}),
        "record/retirement.json": json_bytes(details),
        "audit_excerpt.json": events_json(audit_excerpt(workspace, version_id=version.id, cursor=cursor)),
    }
    validation = model_store.latest_validation(cursor, version.id)
    if validation is not None:
        contents["evidence/validation_report.json"] = json_bytes(asdict(validation))
    for piece in evidence.for_version(workspace, version.id):
        contents[f"evidence/{piece.kind}-{piece.id}.json"] = json_bytes(asdict(piece))
    return contents
