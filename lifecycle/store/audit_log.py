"""Audit events: appended in the caller's transaction, hash-chained to the previous one."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import duckdb

from lifecycle.hashing import GENESIS, audit_event_hash, canonical_json
from lifecycle.records import AuditEvent


def append(
    cursor: duckdb.DuckDBPyConnection, *, actor: str, action: str, entity: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    details = json.loads(canonical_json(details or {}))
    last = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    digest = audit_event_hash(
        seq=seq, at=at, actor=actor, action=action, entity=entity, details=details, prev_hash=prev_hash
    )
    cursor.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, actor, action, entity, canonical_json(details), prev_hash, digest],
    )
    return AuditEvent(seq=seq, at=at, actor=actor, action=action, entity=entity,
                      details=details, prev_hash=prev_hash, hash=digest)


def _event(row: tuple) -> AuditEvent:
    seq, at, actor, action, entity, details, prev_hash, digest = row
    return AuditEvent(seq=seq, at=at, actor=actor, action=action, entity=entity,
                      details=json.loads(details), prev_hash=prev_hash, hash=digest)


def events(cursor: duckdb.DuckDBPyConnection, *, entity_prefix: str | None = None,
           limit: int | None = None) -> list[AuditEvent]:
    """Events oldest first; with a limit, the newest ``limit`` of them."""
    sql = 'SELECT seq, "at", actor, action, entity, details, prev_hash, hash FROM audit_log'
    params: list[Any] = []
    if entity_prefix:
        sql += " WHERE starts_with(entity, ?)"
        params.append(entity_prefix)
    sql += " ORDER BY seq DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rows = cursor.execute(sql, params).fetchall()
    return [_event(row) for row in reversed(rows)]


def since(cursor: duckdb.DuckDBPyConnection, *, actions: tuple[str, ...], at_or_after: str) -> list[AuditEvent]:
    """Events of the given actions at or after an ISO time (UTC), oldest first."""
    rows = cursor.execute(
        'SELECT seq, "at", actor, action, entity, details, prev_hash, hash FROM audit_log '
        'WHERE list_contains(?, action) AND "at" >= ? ORDER BY seq', [list(actions), at_or_after]).fetchall()
    return [_event(row) for row in rows]


# What each kind of entity belongs to: the project a ``kind:id`` entity is part of.
_PROJECT_ENTITIES = """(
    SELECT 'project:' || CAST(id AS VARCHAR) AS entity, id AS project_id FROM projects
    UNION ALL SELECT 'model:' || CAST(id AS VARCHAR), project_id FROM model_versions
    UNION ALL SELECT 'dataset:' || CAST(id AS VARCHAR), project_id FROM dataset_versions
    UNION ALL SELECT 'recipe:' || CAST(id AS VARCHAR), project_id FROM recipes
    UNION ALL SELECT 'search:' || CAST(id AS VARCHAR), project_id FROM searches
    UNION ALL SELECT 'run:' || CAST(id AS VARCHAR), project_id FROM runs
    UNION ALL SELECT 'split:' || CAST(s.id AS VARCHAR), d.project_id FROM splits s
              JOIN dataset_versions d ON d.id = s.dataset_id)"""


def filtered(cursor: duckdb.DuckDBPyConnection, *, project_id: int | None = None, version_id: int | None = None,
             actor: str | None = None, action: str | None = None, limit: int | None = None) -> list[AuditEvent]:
    """Events oldest first, narrowed by any of: the project (events about the project or anything
    of it: its model versions, datasets, recipes, splits, searches and runs, or naming it in
    ``details.project_id``), the model version (entity ``model:ID``), the actor, the action (exact,
    or every action under a prefix ending in ``.``, e.g. ``model.``). With a limit, the newest."""
    where: list[str] = []
    params: list[Any] = []
    if project_id is not None:
        where.append(f"(entity IN (SELECT entity FROM {_PROJECT_ENTITIES} WHERE project_id = ?) "
                     "OR TRY_CAST(json_extract_string(details, '$.project_id') AS INTEGER) = ?)")
        params += [project_id, project_id]
    if version_id is not None:
        where.append("entity = ?")
        params.append(f"model:{int(version_id)}")
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        if action.endswith("."):
            where.append("starts_with(action, ?)")
        else:
            where.append("action = ?")
        params.append(action)
    sql = 'SELECT seq, "at", actor, action, entity, details, prev_hash, hash FROM audit_log'
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rows = cursor.execute(sql, params).fetchall()
    return [_event(row) for row in reversed(rows)]


def actors_and_actions(cursor: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """Every actor and every action on the trail, sorted (the audit page's filter choices)."""
    actors = [r[0] for r in cursor.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor").fetchall()]
    actions = [r[0] for r in cursor.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]
    return actors, actions


def head(cursor: duckdb.DuckDBPyConnection) -> tuple[int, int, str] | None:
    """The chain's head: (number of events, last seq, last hash), or None for an empty trail."""
    row = cursor.execute("SELECT count(*), max(seq) FROM audit_log").fetchone()
    if not row[0]:
        return None
    last = cursor.execute("SELECT hash FROM audit_log WHERE seq = ?", [row[1]]).fetchone()
    return int(row[0]), int(row[1]), last[0]


def event_at(cursor: duckdb.DuckDBPyConnection, seq: int) -> AuditEvent | None:
    rows = cursor.execute('SELECT seq, "at", actor, action, entity, details, prev_hash, hash FROM audit_log '
                          'WHERE seq = ?', [seq]).fetchall()
    return _event(rows[0]) if rows else None
