"""Deployments: which model version serves (or shadows) a project's traffic, and since when."""
from __future__ import annotations

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Deployment

_COLUMNS = ("id, project_id, model_version_id, role, share, started_at, started_by, reason, ended_at, ended_by, "
            "end_reason")


def _deployment(row: tuple) -> Deployment:
    (id_, project_id, version_id, role, share, started_at, started_by, reason, ended_at, ended_by,
     end_reason) = row
    return Deployment(id=id_, project_id=project_id, model_version_id=version_id, role=role, share=share,
                      started_at=started_at, started_by=started_by, reason=reason, ended_at=ended_at,
                      ended_by=ended_by, end_reason=end_reason)


def start(cursor: duckdb.DuckDBPyConnection, *, project_id: int, model_version_id: int, role: str, share: float,
          started_by: str, reason: str) -> Deployment:
    rows = cursor.execute(
        f"INSERT INTO deployments ({_COLUMNS}) VALUES (nextval('deployment_ids'), ?, ?, ?, ?, ?, ?, ?, NULL, NULL, "
        f"NULL) RETURNING {_COLUMNS}",
        [project_id, model_version_id, role, share, utc_now(), started_by, reason]).fetchall()
    return _deployment(rows[0])


def end(cursor: duckdb.DuckDBPyConnection, deployment_id: int, *, ended_by: str, reason: str) -> None:
    cursor.execute("UPDATE deployments SET ended_at = ?, ended_by = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
                   [utc_now(), ended_by, reason, deployment_id])


def active(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[Deployment]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM deployments WHERE project_id = ? AND ended_at IS NULL ORDER BY id",
                          [project_id]).fetchall()
    return [_deployment(r) for r in rows]


def history(cursor: duckdb.DuckDBPyConnection, project_id: int, role: str | None = None) -> list[Deployment]:
    """Every deployment of the project (of ``role`` when given), newest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM deployments WHERE project_id = ? AND (? IS NULL OR role = ?) "
                          "ORDER BY id DESC", [project_id, role, role]).fetchall()
    return [_deployment(r) for r in rows]


def for_version(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> list[Deployment]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM deployments WHERE model_version_id = ? ORDER BY id DESC",
                          [model_version_id]).fetchall()
    return [_deployment(r) for r in rows]
