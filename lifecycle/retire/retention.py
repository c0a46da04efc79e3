"""Retention rules and the dry run of a clean-up: what would go, how many rows, how many bytes freed.

A project's rule (admins set it) says how many days of prediction log and feedback to keep and
whether dataset versions no longer used go (``retire.references`` decides which). Log segments go
whole or not at all: a segment goes only when its newest row is older than the cut-off; one that
holds any newer row is kept, so no segment is ever rewritten. A torn segment is kept and named.

``plan_cleanup`` changes nothing; ``retire.cleanup.run_cleanup`` deletes exactly what a fresh plan
lists (and refuses when it differs from the plan the admin reviewed).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.deploy.paths import feedback_dir, log_dir, predictions_dir
from lifecycle.errors import InputError
from lifecycle.problem.projects import get_project
from lifecycle.records import CleanupItem, RetentionRule, User
from lifecycle.retire.references import IN_USE, NOT_YET_USED, dataset_uses
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import retention as retention_store
from lifecycle.store.log_segments import segment_spans
from lifecycle.workspace import Workspace

PREDICTION_SEGMENT, FEEDBACK_SEGMENT, DATASET_VERSION = "prediction_segment", "feedback_segment", "dataset_version"
KIND_WORDS = {PREDICTION_SEGMENT: "prediction-log segment", FEEDBACK_SEGMENT: "feedback segment",
              DATASET_VERSION: "dataset version"}


@dataclass(frozen=True, kw_only=True)
class CleanupPlan:
    """What a clean-up of one project would delete now (a dry run), and what stays and why."""

    project_id: int
    log_days: int | None  # the days of log kept (None: the log is kept whole)
    cutoff: datetime | None  # segments whose newest row is older than this go (UTC)
    datasets: bool  # dataset versions no longer used go
    items: tuple[CleanupItem, ...]
    kept: tuple[str, ...]  # one line per thing kept that a reader might expect to go, with the reason

    @property
    def rows(self) -> int:
        return sum(item.rows for item in self.items)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)

    @property
    def empty(self) -> bool:
        return not self.items

    def key(self) -> tuple:
        """What identifies the plan's deletions, for comparing a dry run with a confirmation."""
        return tuple((i.kind, i.name, i.dataset_id, i.rows, i.bytes) for i in self.items)

    def summary(self) -> str:
        if self.empty:
            return "Nothing to delete under the retention rule."
        counts = {kind: sum(1 for i in self.items if i.kind == kind) for kind in KIND_WORDS}
        listed = ", ".join(f"{n} {KIND_WORDS[kind]}{'s' if n != 1 else ''}" for kind, n in counts.items() if n)
        return f"{listed}: {self.rows:,} rows, {self.bytes:,} bytes freed."


def default_rule(project_id: int) -> RetentionRule:
    """The rule of a project none was set for: keep the whole log; dataset versions no longer used may go."""
    return RetentionRule(project_id=project_id, log_days=None, datasets=True)


def rule_for(workspace: Workspace, project_id: int) -> RetentionRule:
    """The project's retention rule (the default one when none was set)."""
    return retention_store.get_rule(workspace.db.cursor(), project_id) or default_rule(project_id)


def _check_days(log_days: int | None) -> None:
    if log_days is not None and (isinstance(log_days, bool) or not isinstance(log_days, int) or log_days < 0):
        raise InputError(f"Log retention of {log_days!r} days is not a whole number of days from 0 up.",
                         "Give the days of prediction log to keep (0 keeps none older than now), or none to keep it all.")


def set_rule(workspace: Workspace, actor: User, project_id: int, *, log_days: int | None,
             datasets: bool) -> RetentionRule:
    """Save the project's retention rule; audited. Raises PermissionDenied (needs CLEAN_DATA) or
    InputError (negative or fractional days)."""
    require(actor, Permission.CLEAN_DATA)
    _check_days(log_days)
    project = get_project(workspace, project_id)
    with workspace.db.transaction() as cursor:
        rule = retention_store.put_rule(cursor, project_id=project.id, log_days=log_days, datasets=bool(datasets),
                                        updated_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="retention.rule_set", entity=f"project:{project.id}",
                         details={"log_days": log_days, "datasets": bool(datasets)})
    return rule


def plan_cleanup(workspace: Workspace, actor: User, project_id: int, *, log_days: int | None = None,
                 now: datetime | None = None) -> CleanupPlan:
    """The dry run: what a clean-up of the project would delete under its rule (``log_days`` overrides
    the rule's days for this run; ``now`` is the UTC time the cut-off counts back from). Changes
    nothing. Raises PermissionDenied (needs CLEAN_DATA) or InputError (bad days)."""
    require(actor, Permission.CLEAN_DATA)
    _check_days(log_days)
    rule = rule_for(workspace, get_project(workspace, project_id).id)
    days = rule.log_days if log_days is None else log_days
    cutoff = None if days is None else (now or utc_now()) - timedelta(days=days)
    return build_plan(workspace, project_id, log_days=days, cutoff=cutoff, datasets=rule.datasets)


def build_plan(workspace: Workspace, project_id: int, *, log_days: int | None, cutoff: datetime | None,
               datasets: bool) -> CleanupPlan:
    """The plan for an explicit cut-off (the clean-up rebuilds the reviewed plan with its cut-off)."""
    items: list[CleanupItem] = []
    kept: list[str] = []
    folder = log_dir(workspace.path, project_id)
    for kind, segments_folder in ((PREDICTION_SEGMENT, predictions_dir(folder)), (FEEDBACK_SEGMENT, feedback_dir(folder))):
        found = segment_spans(segments_folder)
        kept += [f"{name}: kept, it cannot be read ({why})." for name, why in found.skipped]
        if cutoff is None:
            continue
        newer = [s for s in found.spans if s.newest is None or s.newest >= cutoff]
        items += [CleanupItem(kind=kind, name=s.path.name, dataset_id=None, rows=s.rows, bytes=s.bytes, sha256="",
                              newest=s.newest) for s in found.spans if s.newest is not None and s.newest < cutoff]
        if newer:
            kept.append(f"{len(newer)} {KIND_WORDS[kind]}(s) with {sum(s.rows for s in newer):,} rows kept: they hold "
                        f"rows from after the cut-off.")
    if datasets:
        items += _dataset_items(workspace, project_id, kept)
    else:
        kept.append("Dataset versions are kept: the rule keeps them.")
    if cutoff is None:
        kept.append("The prediction log and feedback are kept whole: the rule sets no number of days.")
    return CleanupPlan(project_id=project_id, log_days=log_days, cutoff=cutoff, datasets=datasets,
                       items=tuple(items), kept=tuple(kept))


def _dataset_items(workspace: Workspace, project_id: int, kept: list[str]) -> list[CleanupItem]:
    cursor = workspace.db.cursor()
    uses = dataset_uses(workspace, project_id)
    going = tuple(u.dataset.id for u in uses if u.deletable)
    counted: set[str] = set()
    items = []
    for use in uses:
        dataset = use.dataset
        if use.status in (IN_USE, NOT_YET_USED):
            kept.append(f"{dataset.label}: kept, {use.status}: {use.why}.")
        if not use.deletable:
            continue
        path = dataset_store.data_path(workspace.path, dataset)
        shared = retention_store.kept_versions_of_hash(cursor, dataset.content_hash, besides=going) > 0
        freed = 0 if shared or dataset.content_hash in counted or not path.exists() else path.stat().st_size
        counted.add(dataset.content_hash)
        items.append(CleanupItem(kind=DATASET_VERSION, name=dataset.label, dataset_id=dataset.id, rows=dataset.rows,
                                 bytes=freed, sha256=dataset.content_hash))
    return items


def source_path(workspace: Workspace, project_id: int, item: CleanupItem) -> Path:
    """The file an item's deletion removes (a dataset version's file may be kept for another version)."""
    folder = log_dir(workspace.path, project_id)
    if item.kind == PREDICTION_SEGMENT:
        return predictions_dir(folder) / item.name
    if item.kind == FEEDBACK_SEGMENT:
        return feedback_dir(folder) / item.name
    dataset = dataset_store.get(workspace.db.cursor(), item.dataset_id)
    return dataset_store.data_path(workspace.path, dataset)
