"""Retraining policies and retrains: one row each (migration 15), the window and search as JSON.

Every statement's result is fetched in full, so a thread's cursor is never left with a pending result.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import DataWindow, Retrain, RetrainPolicy, SearchChoice

_POLICY_COLUMNS = ("id, project_id, name, trigger_kind, alert_kinds, every_days, data_window, search, enabled, "
                   "created_at, created_by, updated_at, updated_by")
_RETRAIN_FIELDS = ("project_id", "policy_id", "trigger_kind", "alert_id", "scheduled_for", "requested_by",
                   "acting_as", "champion_id", "data_window", "search", "state", "step", "raw_dataset_id",
                   "dataset_id", "split_id", "search_id", "baseline_search_id", "model_version_id", "validation_id", "validation_passed",
                   "comparison", "counts", "notes", "message", "started_at", "finished_at")
_RETRAIN_COLUMNS = "id, " + ", ".join(_RETRAIN_FIELDS)
# What a running retrain may fill in as it goes (by the Retrain field name on the left).
UPDATABLE = {"state": "state", "step": "step", "raw_dataset_id": "raw_dataset_id", "dataset_id": "dataset_id",
             "split_id": "split_id", "search_id": "search_id", "baseline_search_id": "baseline_search_id",
             "model_version_id": "model_version_id",
             "validation_id": "validation_id", "validation_passed": "validation_passed", "comparison": "comparison",
             "counts": "counts", "notes": "notes", "message": "message", "finished_at": "finished_at",
             "window": "data_window", "search": "search", "champion_id": "champion_id"}
_JSON = {"comparison", "counts", "notes", "data_window", "search"}


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False, default=str)


def window_json(window: DataWindow) -> dict[str, Any]:
    found = asdict(window)
    for key in ("since", "until"):
        found[key] = found[key].isoformat() if found[key] is not None else None
    return found


def window_of(data: dict[str, Any]) -> DataWindow:
    times = {key: datetime.fromisoformat(data[key]) if data.get(key) else None for key in ("since", "until")}
    return DataWindow(kind=data["kind"], last_days=data.get("last_days"), **times)


# ----------------------------------------------------------------------------- policies

def _policy(row: tuple) -> RetrainPolicy:
    (id_, project_id, name, trigger, alert_kinds, every_days, window, search, enabled, created_at, created_by,
     updated_at, updated_by) = row
    return RetrainPolicy(id=id_, project_id=project_id, name=name, trigger=trigger,
                         alert_kinds=tuple(json.loads(alert_kinds)), every_days=every_days,
                         window=window_of(json.loads(window)), search=SearchChoice(**json.loads(search)),
                         enabled=enabled, created_at=created_at, created_by=created_by, updated_at=updated_at,
                         updated_by=updated_by)


def insert_policy(cursor: duckdb.DuckDBPyConnection, *, project_id: int, name: str, trigger: str,
                  alert_kinds: tuple[str, ...], every_days: float | None, window: DataWindow, search: SearchChoice,
                  created_by: str) -> RetrainPolicy:
    now = utc_now()
    row = cursor.execute(
        f"INSERT INTO retrain_policies ({_POLICY_COLUMNS}) VALUES (nextval('retrain_policy_ids'), ?, ?, ?, ?, ?, ?, "
        f"?, TRUE, ?, ?, ?, ?) RETURNING {_POLICY_COLUMNS}",
        [project_id, name, trigger, _dumps(list(alert_kinds)), every_days, _dumps(window_json(window)),
         _dumps(asdict(search)), now, created_by, now, created_by]).fetchall()
    return _policy(row[0])


def update_policy(cursor: duckdb.DuckDBPyConnection, policy_id: int, *, name: str, trigger: str,
                  alert_kinds: tuple[str, ...], every_days: float | None, window: DataWindow, search: SearchChoice,
                  enabled: bool, updated_by: str) -> RetrainPolicy:
    row = cursor.execute(
        "UPDATE retrain_policies SET name = ?, trigger_kind = ?, alert_kinds = ?, every_days = ?, data_window = ?, "
        f"search = ?, enabled = ?, updated_at = ?, updated_by = ? WHERE id = ? RETURNING {_POLICY_COLUMNS}",
        [name, trigger, _dumps(list(alert_kinds)), every_days, _dumps(window_json(window)), _dumps(asdict(search)),
         enabled, utc_now(), updated_by, policy_id]).fetchall()
    return _policy(row[0])


def get_policy(cursor: duckdb.DuckDBPyConnection, policy_id: int) -> RetrainPolicy | None:
    rows = cursor.execute(f"SELECT {_POLICY_COLUMNS} FROM retrain_policies WHERE id = ?", [policy_id]).fetchall()
    return _policy(rows[0]) if rows else None


def policy_named(cursor: duckdb.DuckDBPyConnection, project_id: int, name: str) -> RetrainPolicy | None:
    rows = cursor.execute(f"SELECT {_POLICY_COLUMNS} FROM retrain_policies WHERE project_id = ? AND name = ?",
                          [project_id, name]).fetchall()
    return _policy(rows[0]) if rows else None


def policies(cursor: duckdb.DuckDBPyConnection, project_id: int | None = None, *,
             enabled_only: bool = False) -> list[RetrainPolicy]:
    """Policies oldest first, of one project or of all."""
    clauses, params = [], []
    if project_id is not None:
        clauses.append("project_id = ?")
        params.append(project_id)
    if enabled_only:
        clauses.append("enabled")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = cursor.execute(f"SELECT {_POLICY_COLUMNS} FROM retrain_policies{where} ORDER BY id", params).fetchall()
    return [_policy(r) for r in rows]


# ----------------------------------------------------------------------------- retrains

def _retrain(row: tuple) -> Retrain:
    values = dict(zip(("id", *_RETRAIN_FIELDS), row))
    for name in _JSON:
        values[name] = json.loads(values[name]) if values[name] is not None else None
    return Retrain(id=values["id"], project_id=values["project_id"], policy_id=values["policy_id"],
                   trigger=values["trigger_kind"], alert_id=values["alert_id"], scheduled_for=values["scheduled_for"],
                   requested_by=values["requested_by"], acting_as=values["acting_as"],
                   champion_id=values["champion_id"], window=values["data_window"], search=values["search"],
                   state=values["state"], step=values["step"], raw_dataset_id=values["raw_dataset_id"],
                   dataset_id=values["dataset_id"], split_id=values["split_id"], search_id=values["search_id"],
                   baseline_search_id=values["baseline_search_id"],
                   model_version_id=values["model_version_id"], validation_id=values["validation_id"],
                   validation_passed=values["validation_passed"], comparison=values["comparison"],
                   counts=values["counts"] or {}, notes=tuple(values["notes"] or ()), message=values["message"],
                   started_at=values["started_at"], finished_at=values["finished_at"])


def insert_retrain(cursor: duckdb.DuckDBPyConnection, *, project_id: int, policy_id: int, trigger: str,
                   alert_id: int | None, scheduled_for: datetime | None, requested_by: str, acting_as: str,
                   champion_id: int | None, window: dict[str, Any], search: dict[str, Any], state: str = "running",
                   step: str = "starting", message: str = "", notes: tuple[str, ...] = ()) -> Retrain:
    now = utc_now()
    values = {"project_id": project_id, "policy_id": policy_id, "trigger_kind": trigger, "alert_id": alert_id,
              "scheduled_for": scheduled_for, "requested_by": requested_by, "acting_as": acting_as,
              "champion_id": champion_id, "data_window": _dumps(window), "search": _dumps(search), "state": state,
              "step": step, "counts": _dumps({}), "notes": _dumps(list(notes)), "message": message,
              "started_at": now, "finished_at": None if state == "running" else now}
    fields = list(values)
    row = cursor.execute(
        f"INSERT INTO retrains (id, {', '.join(fields)}) VALUES (nextval('retrain_ids'), "
        f"{', '.join('?' for _ in fields)}) RETURNING {_RETRAIN_COLUMNS}", [values[f] for f in fields]).fetchall()
    return _retrain(row[0])


def update_retrain(cursor: duckdb.DuckDBPyConnection, retrain_id: int, **changes: Any) -> Retrain:
    """Set the named fields (keys of ``UPDATABLE``; ``notes`` a list of text, ``counts``/``comparison``/``window``/
    ``search`` dicts) and return the row as it is now."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise KeyError(f"Retrain fields {sorted(unknown)} cannot be updated.")
    columns = [UPDATABLE[name] for name in changes]
    values = [_dumps(list(v) if name == "notes" else v) if UPDATABLE[name] in _JSON and v is not None else v
              for name, v in changes.items()]
    row = cursor.execute(f"UPDATE retrains SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? "
                         f"RETURNING {_RETRAIN_COLUMNS}", [*values, retrain_id]).fetchall()
    return _retrain(row[0])


def get_retrain(cursor: duckdb.DuckDBPyConnection, retrain_id: int) -> Retrain | None:
    rows = cursor.execute(f"SELECT {_RETRAIN_COLUMNS} FROM retrains WHERE id = ?", [retrain_id]).fetchall()
    return _retrain(rows[0]) if rows else None


def retrains_for(cursor: duckdb.DuckDBPyConnection, project_id: int, *, limit: int | None = None) -> list[Retrain]:
    """The project's retrains, newest first."""
    sql = f"SELECT {_RETRAIN_COLUMNS} FROM retrains WHERE project_id = ? ORDER BY id DESC"
    params: list[Any] = [project_id]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_retrain(r) for r in cursor.execute(sql, params).fetchall()]


def running(cursor: duckdb.DuckDBPyConnection, project_id: int | None = None) -> list[Retrain]:
    """Retrains whose record says running, of one project or of all, oldest first."""
    sql = f"SELECT {_RETRAIN_COLUMNS} FROM retrains WHERE state = 'running'"
    params: list[Any] = []
    if project_id is not None:
        sql += " AND project_id = ?"
        params.append(project_id)
    return [_retrain(r) for r in cursor.execute(sql + " ORDER BY id", params).fetchall()]


def fired_alerts(cursor: duckdb.DuckDBPyConnection, policy_id: int) -> set[int]:
    """Ids of the alerts this policy has already fired on (whatever became of the retrain)."""
    rows = cursor.execute("SELECT alert_id FROM retrains WHERE policy_id = ? AND alert_id IS NOT NULL",
                          [policy_id]).fetchall()
    return {r[0] for r in rows}


def last_started(cursor: duckdb.DuckDBPyConnection, policy_id: int) -> datetime | None:
    """When this policy's newest retrain started (None before its first)."""
    row = cursor.execute("SELECT max(started_at) FROM retrains WHERE policy_id = ?", [policy_id]).fetchall()
    return row[0][0] if row else None


def last_scheduled(cursor: duckdb.DuckDBPyConnection, policy_id: int) -> datetime | None:
    """When this policy's newest scheduled retrain was due (None before its first)."""
    row = cursor.execute("SELECT max(scheduled_for) FROM retrains WHERE policy_id = ? AND trigger_kind = 'schedule'",
                         [policy_id]).fetchall()
    return row[0][0] if row else None
