"""The hand-over report: the whole life of a project's model, for the people who inherit it.

Everything is read from the record, nothing computed again: the project and its objectives, every
model version and each state it went through (from the audit trail), the validation metrics of each
version in the order they were registered, the production and shadow deployments, incidents and
alerts, A/B decisions and sign-offs (from ``handover_sections``' providers), the retirements with
their archives (each checked against its checksum manifest), the dataset versions and whether
anything still uses them, and the clean-ups with what they deleted. ``handover_render`` writes it
as Markdown or HTML.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.problem.projects import get_project, objectives
from lifecycle.records import Cleanup, ModelState, ModelVersion, Project, User
from lifecycle.retire import handover_sections as sections
from lifecycle.retire.cleanup import cleanups
from lifecycle.retire.decommissioning import check_archive, retirements
from lifecycle.retire.references import dataset_uses
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

_STATE_ACTIONS = {f"model.{state}" for state in ModelState} | {"model.registered"}


@dataclass(frozen=True, kw_only=True)
class StateChange:
    at: str  # ISO-8601 UTC, from the audit trail
    version: int
    to_state: str
    actor: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class VersionMetrics:
    """The latest validation of one version: each metric's value with its 95% interval."""

    version: int
    version_id: int
    registered_at: datetime
    validated_at: datetime
    passed: bool
    primary_metric: str
    metrics: dict[str, tuple[float | None, float | None, float | None]]  # name -> (value, low, high)


@dataclass(frozen=True, kw_only=True)
class DeploymentPeriod:
    version: int
    role: str
    started_at: datetime
    started_by: str
    reason: str
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True, kw_only=True)
class RetirementLine:
    version: int
    version_id: int
    retired_at: datetime
    retired_by: str
    reason: str
    previous_state: str
    replacement: str  # "v4 (#9)" or "none (confirmed)" or "none"
    archive_path: str
    archive_sha256: str
    archive_ok: bool
    archive_problems: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DatasetLine:
    label: str
    rows: int
    content_hash: str
    status: str
    why: str


@dataclass(frozen=True, kw_only=True)
class Handover:
    """The report's content, read-only; ``handover_render`` turns it into Markdown or HTML."""

    project: Project
    objectives: tuple[str, ...]
    made_at: datetime
    made_by: str
    versions: tuple[ModelVersion, ...]
    in_production: str  # the version serving now, or "nothing"
    changes: tuple[StateChange, ...]
    metrics: tuple[VersionMetrics, ...]
    deployments: tuple[DeploymentPeriod, ...]
    sections: dict[str, tuple[sections.HandoverEntry, ...]]  # incidents, A/B decisions, sign-offs
    retirements: tuple[RetirementLine, ...]
    datasets: tuple[DatasetLine, ...]
    cleanups: tuple[Cleanup, ...]


def build_handover(workspace: Workspace, actor: User, project_id: int) -> Handover:
    """Gather the project's whole life from the record. Raises PermissionDenied (needs READ) or NotFound."""
    require(actor, Permission.READ)
    project = get_project(workspace, project_id)
    cursor = workspace.db.cursor()
    versions = model_store.versions_for(cursor, project.id)
    by_id = {v.id: v for v in versions}
    goals = objectives(workspace, project.id)
    production = next((v for v in versions if v.state == ModelState.PRODUCTION), None)
    return Handover(
        project=project, objectives=tuple(str(o) for o in goals.objectives) if goals else (),
        made_at=utc_now(), made_by=actor.name, versions=tuple(versions),
        in_production=f"v{production.version} (#{production.id})" if production else "nothing",
        changes=tuple(_changes(workspace, project, by_id)), metrics=tuple(_metrics(cursor, versions)),
        deployments=tuple(DeploymentPeriod(version=by_id[d.model_version_id].version if d.model_version_id in by_id
                                           else d.model_version_id, role=d.role, started_at=d.started_at,
                                           started_by=d.started_by, reason=d.reason, ended_at=d.ended_at,
                                           end_reason=d.end_reason)
                          for d in reversed(deployment_store.history(cursor, project.id))),
        sections={name: tuple(sections.entries(workspace, project, name)) for name in sections.TITLES},
        retirements=tuple(_retirements(workspace, project, by_id)),
        datasets=tuple(DatasetLine(label=u.dataset.label, rows=u.dataset.rows, content_hash=u.dataset.content_hash,
                                   status=u.status, why=u.why) for u in dataset_uses(workspace, project.id)),
        cleanups=tuple(cleanups(workspace, project.id)))


def _changes(workspace: Workspace, project: Project, by_id: dict[int, ModelVersion]) -> list[StateChange]:
    found = []
    for event in sections.project_events(workspace, project):
        if event.action not in _STATE_ACTIONS or not event.entity.startswith("model:"):
            continue
        version = by_id.get(int(event.entity.split(":", 1)[1]))
        if version is None:
            continue
        to_state = "registered" if event.action == "model.registered" else event.action.split(".", 1)[1]
        found.append(StateChange(at=event.at, version=version.version, to_state=to_state, actor=event.actor,
                                 reason=str(event.details.get("reason") or "")))
    return found


def _metrics(cursor, versions: list[ModelVersion]) -> list[VersionMetrics]:
    found = []
    for version in versions:
        stored = model_store.latest_validation(cursor, version.id)
        if stored is None:
            continue
        metrics = {name: ((m or {}).get("value"), (m or {}).get("low"), (m or {}).get("high"))
                   for name, m in (stored.report.get("metrics") or {}).items()}
        found.append(VersionMetrics(version=version.version, version_id=version.id, registered_at=version.created_at,
                                    validated_at=stored.created_at, passed=stored.passed,
                                    primary_metric=str(stored.report.get("primary_metric") or ""), metrics=metrics))
    return found


def _retirements(workspace: Workspace, project: Project, by_id: dict[int, ModelVersion]) -> list[RetirementLine]:
    lines = []
    for record in retirements(workspace, project.id):
        check = check_archive(workspace, record.model_version_id)
        replacement = by_id.get(record.replacement_id) if record.replacement_id else None
        lines.append(RetirementLine(
            version=record.version, version_id=record.model_version_id, retired_at=record.retired_at,
            retired_by=record.retired_by, reason=record.reason, previous_state=record.previous_state,
            replacement=(f"v{replacement.version} (#{replacement.id})" if replacement is not None
                         else "none (confirmed)" if record.no_replacement_confirmed else "none"),
            archive_path=record.archive_path, archive_sha256=record.archive_sha256, archive_ok=check.ok,
            archive_problems=check.problems))
    return lines
