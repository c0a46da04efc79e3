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
