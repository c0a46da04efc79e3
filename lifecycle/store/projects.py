"""Projects and their versioned objective sets."""
from __future__ import annotations

import json
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Objective, ObjectiveSet, Project

_COLUMNS = ("id, name, statement, task, target, positive_class, sensitive, owner, risk_tier, "
            "intended_use, out_of_scope, created_at, created_by, updated_at, archived_at")
EDITABLE = ("name", "statement", "task", "target", "positive_class", "sensitive", "owner",
            "risk_tier", "intended_use", "out_of_scope")


def _project(row: tuple) -> Project:
    (id_, name, statement, task, target, positive_class, sensitive, owner, risk_tier,
     intended_use, out_of_scope, created_at, created_by, updated_at, archived_at) = row
    return Project(id=id_, name=name, statement=statement, task=task, target=target,
                   positive_class=positive_class, sensitive=tuple(json.loads(sensitive)),
                   owner=owner, risk_tier=risk_tier, intended_use=intended_use,
                   out_of_scope=out_of_scope, created_at=created_at, created_by=created_by,
                   updated_at=updated_at, archived_at=archived_at)


def _stored(field: str, value: Any) -> Any:
    return json.dumps(list(value)) if field == "sensitive" else value


def insert(cursor: duckdb.DuckDBPyConnection, *, created_by: str, **fields: Any) -> Project:
    now = utc_now()
    project_id = cursor.execute("SELECT nextval('project_ids')").fetchone()[0]
    values = [_stored(f, fields[f]) for f in EDITABLE]
    cursor.execute(
        f"INSERT INTO projects ({_COLUMNS}) VALUES ({', '.join(['?'] * 15)})",
        [project_id, *values, now, created_by, now, None],
    )
    return get(cursor, project_id)


def update(cursor: duckdb.DuckDBPyConnection, project_id: int, changes: dict[str, Any]) -> Project:
    assignments = ", ".join(f"{field} = ?" for field in changes if field in EDITABLE)
    values = [_stored(f, v) for f, v in changes.items() if f in EDITABLE]
    cursor.execute(f"UPDATE projects SET {assignments}, updated_at = ? WHERE id = ?",
                   [*values, utc_now(), project_id])
    return get(cursor, project_id)


def get(cursor: duckdb.DuckDBPyConnection, project_id: int) -> Project | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM projects WHERE id = ?", [project_id]).fetchone()
    return _project(row) if row else None


def get_by_name(cursor: duckdb.DuckDBPyConnection, name: str) -> Project | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM projects WHERE name = ?", [name]).fetchone()
    return _project(row) if row else None


def list_all(cursor: duckdb.DuckDBPyConnection, *, archived: bool = False) -> list[Project]:
    """Projects in creation order: the active ones, or (``archived``) every one, archived included."""
    where = "" if archived else " WHERE archived_at IS NULL"
    return [_project(r) for r in cursor.execute(f"SELECT {_COLUMNS} FROM projects{where} ORDER BY id").fetchall()]


def set_archived(cursor: duckdb.DuckDBPyConnection, project_id: int, archived: bool) -> Project:
    cursor.execute("UPDATE projects SET archived_at = ? WHERE id = ?", [utc_now() if archived else None, project_id])
    return get(cursor, project_id)


def insert_objectives(cursor: duckdb.DuckDBPyConnection, project_id: int,
                      objectives: list[Objective], created_by: str) -> ObjectiveSet:
    version = cursor.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM objectives WHERE project_id = ?", [project_id]
    ).fetchone()[0]
    now = utc_now()
    if objectives:
        cursor.executemany(
            "INSERT INTO objectives VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[project_id, version, i, o.metric, o.comparator, o.threshold, o.blocking, now, created_by]
             for i, o in enumerate(objectives)],
        )
    else:  # an empty set is still a version: a row with no metric marks it
        cursor.execute("INSERT INTO objectives VALUES (?, ?, -1, '', '>=', 0, FALSE, ?, ?)",
                       [project_id, version, now, created_by])
    return ObjectiveSet(project_id=project_id, version=version, objectives=tuple(objectives),
                        created_at=now, created_by=created_by)


def objective_set(cursor: duckdb.DuckDBPyConnection, project_id: int,
                  version: int | None = None) -> ObjectiveSet | None:
    if version is None:
        version = cursor.execute("SELECT max(version) FROM objectives WHERE project_id = ?",
                                 [project_id]).fetchone()[0]
        if version is None:
            return None
    rows = cursor.execute(
        "SELECT position, metric, comparator, threshold, blocking, created_at, created_by "
        "FROM objectives WHERE project_id = ? AND version = ? ORDER BY position",
        [project_id, version],
    ).fetchall()
    if not rows:
        return None
    objectives = tuple(Objective(metric=r[1], comparator=r[2], threshold=r[3], blocking=r[4])
                       for r in rows if r[0] >= 0)
    return ObjectiveSet(project_id=project_id, version=version, objectives=objectives,
                        created_at=rows[0][5], created_by=rows[0][6])


def objective_versions(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[int]:
    return [r[0] for r in cursor.execute(
        "SELECT DISTINCT version FROM objectives WHERE project_id = ? ORDER BY version",
        [project_id]).fetchall()]
