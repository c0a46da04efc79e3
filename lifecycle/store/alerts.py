"""Alerts, their delivery attempts and each project's webhook (migration 10)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from lifecycle.records import Alert, AlertDelivery, Webhook

_COLUMNS = ('id, project_id, model_version_id, kind, "key", title, evidence, state, opened_at, opened_by, '
            "acknowledged_at, acknowledged_by, acknowledged_comment, resolved_at, resolved_by, resolved_comment, "
            "delivery, next_delivery_at")


def _alert(row: tuple, deliveries: tuple[AlertDelivery, ...] = ()) -> Alert:
    (id_, project_id, version_id, kind, key, title, evidence, state, opened_at, opened_by, ack_at, ack_by,
     ack_comment, resolved_at, resolved_by, resolved_comment, delivery, next_at) = row
    return Alert(id=id_, project_id=project_id, model_version_id=version_id, kind=kind, key=key, title=title,
                 evidence=json.loads(evidence), state=state, opened_at=opened_at, opened_by=opened_by,
                 acknowledged_at=ack_at, acknowledged_by=ack_by, acknowledged_comment=ack_comment,
                 resolved_at=resolved_at, resolved_by=resolved_by, resolved_comment=resolved_comment,
                 delivery=delivery, next_delivery_at=next_at, deliveries=deliveries)


def _with_deliveries(cursor: duckdb.DuckDBPyConnection, rows: list[tuple]) -> list[Alert]:
    if not rows:
        return []
    found: dict[int, list[AlertDelivery]] = {}
    for alert_id, attempt, at, host, status, error in cursor.execute(
            'SELECT alert_id, attempt, "at", url_host, status, error FROM alert_deliveries '
            "WHERE list_contains(?, alert_id) ORDER BY alert_id, attempt", [[r[0] for r in rows]]).fetchall():
        found.setdefault(alert_id, []).append(AlertDelivery(alert_id=alert_id, attempt=attempt, at=at,
                                                             url_host=host, status=status, error=error))
    return [_alert(r, tuple(found.get(r[0], ()))) for r in rows]


def insert(cursor: duckdb.DuckDBPyConnection, *, project_id: int, model_version_id: int | None, kind: str, key: str,
           title: str, evidence: dict[str, Any], opened_at: datetime, opened_by: str, delivery: str) -> Alert | None:
    """The new alert, or None when the project already has one with ``key`` (nothing written)."""
    rows = cursor.execute(
        f"INSERT INTO alerts ({_COLUMNS}) VALUES (nextval('alert_ids'), ?, ?, ?, ?, ?, ?, 'open', ?, ?, NULL, NULL, "
        f'NULL, NULL, NULL, NULL, ?, ?) ON CONFLICT (project_id, "key") DO NOTHING RETURNING {_COLUMNS}',
        [project_id, model_version_id, kind, key, title, json.dumps(evidence, allow_nan=False), opened_at, opened_by,
         delivery, opened_at if delivery == "pending" else None]).fetchall()
    return _alert(rows[0]) if rows else None


def get(cursor: duckdb.DuckDBPyConnection, alert_id: int) -> Alert | None:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", [alert_id]).fetchall()
    found = _with_deliveries(cursor, rows)
    return found[0] if found else None


def by_key(cursor: duckdb.DuckDBPyConnection, project_id: int, key: str) -> Alert | None:
    rows = cursor.execute(f'SELECT {_COLUMNS} FROM alerts WHERE project_id = ? AND "key" = ?',
                          [project_id, key]).fetchall()
    found = _with_deliveries(cursor, rows)
    return found[0] if found else None


def listed(cursor: duckdb.DuckDBPyConnection, *, project_id: int | None = None, states: tuple[str, ...] | None = None,
           kind: str | None = None, limit: int | None = None) -> list[Alert]:
    """Alerts newest first, filtered by project, states and kind."""
    sql = f"SELECT {_COLUMNS} FROM alerts WHERE (? IS NULL OR project_id = ?) AND (? IS NULL OR kind = ?)"
    params: list[Any] = [project_id, project_id, kind, kind]
    if states is not None:
        sql += " AND list_contains(?, state)"
        params.append(list(states))
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return _with_deliveries(cursor, cursor.execute(sql, params).fetchall())


def open_counts(cursor: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Unresolved alerts per project (projects without any are left out)."""
    return dict(cursor.execute("SELECT project_id, count(*) FROM alerts WHERE state <> 'resolved' "
                               "GROUP BY project_id").fetchall())


def set_state(cursor: duckdb.DuckDBPyConnection, alert_id: int, *, state: str, by: str, at: datetime,
              comment: str) -> None:
    prefix = {"acknowledged": "acknowledged", "resolved": "resolved"}[state]
    cursor.execute(f"UPDATE alerts SET state = ?, {prefix}_at = ?, {prefix}_by = ?, {prefix}_comment = ? WHERE id = ?",
                   [state, at, by, comment, alert_id])


def add_delivery(cursor: duckdb.DuckDBPyConnection, *, alert_id: int, at: datetime, url_host: str,
                 status: int | None, error: str) -> AlertDelivery:
    """Record one attempt (numbered after the alert's previous ones)."""
    attempt = cursor.execute("SELECT coalesce(max(attempt), 0) + 1 FROM alert_deliveries WHERE alert_id = ?",
                             [alert_id]).fetchone()[0]
    cursor.execute("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?)",
                   [alert_id, attempt, at, url_host, status, error])
    return AlertDelivery(alert_id=alert_id, attempt=attempt, at=at, url_host=url_host, status=status, error=error)


def set_delivery(cursor: duckdb.DuckDBPyConnection, alert_id: int, *, delivery: str,
                 next_at: datetime | None) -> None:
    cursor.execute("UPDATE alerts SET delivery = ?, next_delivery_at = ? WHERE id = ?", [delivery, next_at, alert_id])


def unsent_open(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[Alert]:
    """Open alerts of the project never queued for delivery (raised while it had no webhook), oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM alerts WHERE project_id = ? AND state = 'open' "
                          "AND delivery = 'none' ORDER BY id", [project_id]).fetchall()
    return _with_deliveries(cursor, rows)


def queue_unsent_open(cursor: duckdb.DuckDBPyConnection, project_id: int, at: datetime) -> list[int]:
    """Queue the project's :func:`unsent_open` alerts for delivery, due at ``at``; their ids, oldest first."""
    rows = cursor.execute("UPDATE alerts SET delivery = 'pending', next_delivery_at = ? WHERE project_id = ? "
                          "AND state = 'open' AND delivery = 'none' RETURNING id", [at, project_id]).fetchall()
    return sorted(int(r[0]) for r in rows)


def due(cursor: duckdb.DuckDBPyConnection, project_id: int, now: datetime) -> list[Alert]:
    """Alerts of the project whose delivery is pending and due at ``now``, oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM alerts WHERE project_id = ? AND delivery = 'pending' "
                          "AND (next_delivery_at IS NULL OR next_delivery_at <= ?) ORDER BY id",
                          [project_id, now]).fetchall()
    return _with_deliveries(cursor, rows)


# --- webhooks -----------------------------------------------------------------------------------

def webhook(cursor: duckdb.DuckDBPyConnection, project_id: int) -> Webhook | None:
    row = cursor.execute("SELECT project_id, url, set_by, set_at FROM alert_webhooks WHERE project_id = ?",
                         [project_id]).fetchone()
    return None if row is None else Webhook(project_id=row[0], url=row[1], set_by=row[2], set_at=row[3])


def put_webhook(cursor: duckdb.DuckDBPyConnection, project_id: int, url: str, *, set_by: str,
                set_at: datetime) -> Webhook:
    cursor.execute("INSERT OR REPLACE INTO alert_webhooks VALUES (?, ?, ?, ?)", [project_id, url, set_by, set_at])
    return Webhook(project_id=project_id, url=url, set_by=set_by, set_at=set_at)


def remove_webhook(cursor: duckdb.DuckDBPyConnection, project_id: int) -> None:
    cursor.execute("DELETE FROM alert_webhooks WHERE project_id = ?", [project_id])
