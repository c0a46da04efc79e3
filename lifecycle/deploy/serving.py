"""Running the scoring service of a workspace's projects: start, stop, status, and serving every
project that has a version in production (the demo, at first start).

The service is a child process of whoever starts it (the app or ``serve``); it watches its
parent and exits with it, so stopping the app never leaves an orphan.
"""
from __future__ import annotations

import os

from lifecycle.auth import Permission, require
from lifecycle.deploy import process
from lifecycle.deploy.paths import deploy_dir, log_dir
from lifecycle.deploy.promotion import manifest_for, sync_manifest
from lifecycle.errors import InputError, LifecycleError
from lifecycle.problem.projects import list_projects
from lifecycle.records import Project, User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace


def status(workspace: Workspace, project: Project) -> process.ServiceStatus:
    """Whether the project's scoring service runs, where, and whether it answers ``/health``."""
    return process.service_status(deploy_dir(workspace.path, project.id))


def start(workspace: Workspace, actor: User | None, project: Project, *, port: int | None = None,
          parent_pid: int | None = None) -> process.ServiceStatus:
    """Start the project's service on 127.0.0.1 (``port``, or a free one), as a child of this
    process, and wait for ``/health``; audited (``actor`` None: the app itself, at start). Raises
    PermissionDenied (needs RUN_SERVICE), InputError when nothing is in production or the port is taken."""
    if actor is not None:
        require(actor, Permission.RUN_SERVICE)
    manifest = manifest_for(workspace, project.id)
    if manifest is None or not manifest.versions:
        raise InputError(f"Nothing of {project.name!r} is in production, so there is nothing to serve.",
                         "Promote an approved version to production first.")
    running = status(workspace, project)
    if running.running:
        return running
    started = process.start_service(deploy_dir(workspace.path, project.id), log_dir(workspace.path, project.id),
                                    port=port or process.free_port(), parent_pid=parent_pid or os.getpid())
    _audit(workspace, actor, project, "deployment.service_started", {"url": started.url, "pid": started.pid})
    return started


def stop(workspace: Workspace, actor: User, project: Project) -> bool:
    """Stop the project's service (SIGTERM, then SIGKILL); audited. True when one was running."""
    require(actor, Permission.RUN_SERVICE)
    stopped = process.stop_service(deploy_dir(workspace.path, project.id))
    if stopped:
        _audit(workspace, actor, project, "deployment.service_stopped", {})
    return stopped


def serve_production(workspace: Workspace, actor: User | None = None, *, parent_pid: int | None = None
                     ) -> dict[str, process.ServiceStatus | str]:
    """Start the service of every project with a version in production that is not served yet, its
    manifest first brought in line with the record (``promotion.sync_manifest``). Returns each such project's status, or the reason it could not start (never raises for one
    project, so one broken model does not keep the others offline)."""
    outcome: dict[str, process.ServiceStatus | str] = {}
    for project in list_projects(workspace):
        try:  # a process killed between a commit and its manifest left the manifest behind the record
            sync_manifest(workspace, project.id, "lifecycle")
        except LifecycleError as error:
            outcome[project.name] = str(error)
            continue
        manifest = manifest_for(workspace, project.id)
        if manifest is None or not manifest.versions:
            continue
        try:
            outcome[project.name] = start(workspace, actor, project, parent_pid=parent_pid)
        except InputError as error:
            outcome[project.name] = str(error)
    return outcome


def sample_request(workspace: Workspace, project: Project) -> dict | None:
    """An MLflow-style request body of one row that fits the production version's input schema
    (a category seen in training, 0 for a number), to show how to call the service; None when
    nothing is in production."""
    manifest = manifest_for(workspace, project.id)
    if manifest is None or not manifest.versions:
        return None
    row = {c.name: (c.categories[0] if c.categories else 0) for c in manifest.production.input_schema}
    return {"dataframe_records": [row]}


def _audit(workspace: Workspace, actor: User | None, project: Project, action: str, details: dict) -> None:
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name if actor is not None else "system", action=action, entity=f"project:{project.id}", details=details)
