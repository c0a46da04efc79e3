"""The audit trail as a reviewer reads it: filtered by project, model version, user and action,
verified in one call (the first broken event named), and exported as CSV (formula-like cells
neutralised, ``lifecycle.exports``) or JSON with the chain's verdict beside the events."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import pandas as pd

from lifecycle import audit
from lifecycle.errors import InputError, NotFound
from lifecycle.exports import csv_bytes
from lifecycle.hashing import canonical_json
from lifecycle.records import AuditEvent
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

EXPORT_FORMATS = ("csv", "json")
COLUMNS = ("seq", "at", "actor", "action", "entity", "details", "prev_hash", "hash")
# Keys of a project-level event's details that name a model version (rollback, shadow, retirement).
VERSION_KEYS = ("version_id", "restored", "replacement_id", "retired_id")


@dataclass(frozen=True, kw_only=True)
class TrailFilter:
    """What to narrow the trail to (None: everything). ``action`` is an exact action or a prefix
    ending in ``.`` (``model.`` for every model move)."""

    project_id: int | None = None
    version_id: int | None = None
    actor: str | None = None
    action: str | None = None
    limit: int | None = None


def events(workspace: Workspace, selection: TrailFilter = TrailFilter()) -> list[AuditEvent]:
    """The events that match ``selection``, oldest first (the newest ``limit`` when it is set)."""
    if selection.limit is not None and selection.limit < 1:
        raise InputError(f"Limit {selection.limit} is not a positive number of events.", "Give 1 or more.")
    return audit_log.filtered(workspace.db.cursor(), project_id=selection.project_id,
                              version_id=selection.version_id, actor=selection.actor or None,
                              action=selection.action or None, limit=selection.limit)


def audit_excerpt(workspace: Workspace, *, project_id: int | None = None, version_id: int | None = None,
                  cursor=None) -> list[AuditEvent]:
    """The events about a model version, or else a project, oldest first: what an archive or a
    hand-over report carries. A version's excerpt holds its own events (``model:<id>``) and the
    project's events that name it in their details (``VERSION_KEYS``: rollback, shadow, retirement);
    a project's holds everything of it (:func:`events`). Each keeps its sequence number and hashes, so
    it can be checked against the whole chain. ``cursor``: read through it (inside a transaction, to
    see its own events); a new one when None. Raises InputError with neither id, NotFound for an
    unknown version."""
    if project_id is None and version_id is None:
        raise InputError("An audit excerpt is about a project or a model version.", "Give project_id or version_id.")
    cursor = workspace.db.cursor() if cursor is None else cursor
    if version_id is None:
        return audit_log.filtered(cursor, project_id=project_id)
    version = model_store.get_version(cursor, version_id)
    if version is None:
        raise NotFound(f"No model version with id {version_id}.", "List a project's versions with `runs list`.")
    entity, project = f"model:{version.id}", f"project:{version.project_id}"
    own = [e for e in audit_log.events(cursor, entity_prefix=entity) if e.entity == entity]
    named = [e for e in audit_log.events(cursor, entity_prefix=project)
             if e.entity == project and any(e.details.get(key) == version.id for key in VERSION_KEYS)]
    return sorted(own + named, key=lambda e: e.seq)


def choices(workspace: Workspace) -> tuple[list[str], list[str]]:
    """Every actor and every action on the trail (the filter's choices)."""
    return audit_log.actors_and_actions(workspace.db.cursor())


def verify(workspace: Workspace) -> audit.ChainVerdict:
    """The whole chain checked, oldest first: intact, or the first broken event and why."""
    return audit.verify_chain(workspace)


def frame(found: list[AuditEvent]) -> pd.DataFrame:
    """Events as a table, details as canonical JSON text."""
    return pd.DataFrame([{**asdict(e), "details": canonical_json(e.details)} for e in found], columns=list(COLUMNS))


def export(workspace: Workspace, fmt: str, selection: TrailFilter = TrailFilter()) -> bytes:
    """The matching events as CSV (every text cell a spreadsheet would run as a formula starts with
    an apostrophe) or JSON (``{"chain": verdict, "filter": ..., "events": [...]}``). Raises
    InputError for another format."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}.", "Use csv or json.")
    found = events(workspace, selection)
    if fmt == "csv":
        return csv_bytes(frame(found))
    return (json.dumps({"chain": asdict(verify(workspace)), "filter": asdict(selection),
                        "events": [asdict(e) for e in found]}, indent=1, default=str) + "\n").encode()
