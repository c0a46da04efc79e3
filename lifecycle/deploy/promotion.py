"""Promotion, rollback and shadowing, and the manifest that tells the scoring service about them.

Every move goes through the state machine's one ``transition`` (``models.states``), which checks
the gate and records the move, the approval and the deployments in one transaction; afterwards
the project's manifest is rewritten from what is on record (``sync_manifest``), so the service
picks up a promotion, a rollback or a new shadow without a restart.
"""
from __future__ import annotations

import os
from pathlib import Path

from lifecycle.auth import Permission, require
from lifecycle.deploy.labels import class_labels
from lifecycle.deploy.manifest import Manifest, ServedVersion, manifest_path, read_manifest, write_manifest
from lifecycle.deploy.paths import deploy_dir
from lifecycle.errors import InputError, NotFound
from lifecycle.models import states
from lifecycle.models.registry import artifact_path, get_version
from lifecycle.problem.projects import get_project
from lifecycle.records import ModelState, ModelVersion, User
from lifecycle.store import audit_log
from lifecycle.store import deployments as deployment_store
from lifecycle.workspace import Workspace


def move(workspace: Workspace, actor: User, version_id: int, to_state: str, reason: str) -> ModelVersion:
    """Move a version through the state machine (gates checked, audited), then bring the project's
    deployment manifest in line with it. Raises what ``states.transition`` raises."""
    version = states.transition(workspace, actor, version_id, to_state, reason)
    sync_manifest(workspace, version.project_id, actor.name)
    return version


def rollback(workspace: Workspace, actor: User, project_id: int, reason: str) -> ModelVersion:
    """Restore the previous production version (see ``states.rollback``) and rewrite the manifest.
    Returns the restored version."""
    version = states.rollback(workspace, actor, project_id, reason)
    sync_manifest(workspace, project_id, actor.name)
    return version


def set_shadow(workspace: Workspace, actor: User, project_id: int, version_id: int | None, reason: str) -> None:
    """Let a staging version score every request beside production without answering (its
    predictions are logged for comparison), or stop the shadow with ``version_id=None``.
    Raises PermissionDenied (needs MOVE_MODEL) or InputError (not a staging version of this project,
    no reason)."""
    require(actor, Permission.MOVE_MODEL)
    if not reason.strip():
        raise InputError("Changing the shadow needs a reason.", "Say why, in a sentence; it goes to the audit trail.")
    if version_id is not None:
        version = get_version(workspace, version_id)
        if version.project_id != project_id or version.state != ModelState.STAGING:
            raise InputError(f"Model {version.label} cannot shadow production: only a staging version of this "
                             "project can.", "Move it to staging first.")
    with workspace.db.transaction() as cursor:
        for current in deployment_store.active(cursor, project_id):
            if current.role == "shadow":
                deployment_store.end(cursor, current.id, ended_by=actor.name, reason=reason.strip())
        if version_id is not None:
            deployment_store.start(cursor, project_id=project_id, model_version_id=version_id, role="shadow",
                                   share=0.0, started_by=actor.name, reason=reason.strip())
        audit_log.append(cursor, actor=actor.name, action="deployment.shadow", entity=f"project:{project_id}",
                         details={"version_id": version_id, "reason": reason.strip()})
    sync_manifest(workspace, project_id, actor.name)


def expected_manifest(workspace: Workspace, project_id: int) -> Manifest:
    """The manifest that matches what is on record: the production version answering all traffic,
    and the shadow if one is set."""
    project = get_project(workspace, project_id)
    folder = deploy_dir(workspace.path, project_id)
    answering, shadow = [], None
    for deployment in deployment_store.active(workspace.db.cursor(), project_id):
        entry = _served(workspace, folder, get_version(workspace, deployment.model_version_id), deployment.share)
        if deployment.role == "shadow":
            shadow = entry
        else:
            answering.append(entry)
    return Manifest(project_id=project.id, project=project.name, task=project.task,
                    positive_class=project.positive_class, versions=tuple(answering), shadow=shadow,
                    class_labels=class_labels(workspace, project))


def sync_manifest(workspace: Workspace, project_id: int, actor_name: str = "system") -> Manifest:
    """Rewrite the project's manifest if it differs from what is on record (atomically; the
    service reloads it). Returns the manifest now on disk."""
    folder = deploy_dir(workspace.path, project_id)
    wanted = expected_manifest(workspace, project_id)
    if manifest_path(folder).exists():
        try:
            current = read_manifest(folder)
        except InputError:
            current = None  # unreadable: rewrite it
        if current is not None and _same(current, wanted):
            return current
    if not wanted.versions and wanted.shadow is None and not manifest_path(folder).exists():
        return wanted  # never deployed: nothing to write
    return write_manifest(folder, Manifest(**{**_fields(wanted), "written_by": actor_name}))


def manifest_for(workspace: Workspace, project_id: int) -> Manifest | None:
    """The project's manifest on disk, or None when nothing was ever deployed."""
    folder = deploy_dir(workspace.path, project_id)
    return read_manifest(folder) if manifest_path(folder).exists() else None


def _served(workspace: Workspace, folder: Path, version: ModelVersion, share: float) -> ServedVersion:
    if version.state.is_closed:  # the state machine ends its deployments; a manifest never names it
        raise InputError(f"Model {version.label} is {version.state} and can never serve again, yet a deployment of "
                         "it is on record as active.", "Promote another version to production to replace it.")
    path = artifact_path(workspace, version)
    if not path.exists():
        raise NotFound(f"The artifact of model {version.label} is missing ({path.name}).",
                       "Restore the workspace's .files folder from a backup, or register the run again.")
    return ServedVersion(version_id=version.id, version=version.version, artifact=os.path.relpath(path, folder),
                         artifact_hash=version.artifact_hash, input_schema=version.input_schema, share=share)


def _fields(manifest: Manifest) -> dict:
    return {name: getattr(manifest, name) for name in manifest.__dataclass_fields__}


def _same(a: Manifest, b: Manifest) -> bool:
    ignore = ("generation", "written_at", "written_by")
    return {k: v for k, v in _fields(a).items() if k not in ignore} == {k: v for k, v in _fields(b).items()
                                                                          if k not in ignore}
