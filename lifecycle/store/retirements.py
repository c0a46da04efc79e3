"""Retirements of model versions: one row each, written in the decommission's transaction, never updated."""
from __future__ import annotations

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Retirement

_COLUMNS = ("model_version_id, project_id, version, reason, previous_state, replacement_id, no_replacement_confirmed, "
            "archive_path, archive_sha256, archive_files, archive_bytes, retired_at, retired_by")


def _retirement(row: tuple) -> Retirement:
    names = [name.strip() for name in _COLUMNS.split(",")]
    return Retirement(**dict(zip(names, row)))


def insert(cursor: duckdb.DuckDBPyConnection, *, model_version_id: int, project_id: int, version: int, reason: str,
           previous_state: str, replacement_id: int | None, no_replacement_confirmed: bool, archive_path: str,
           archive_sha256: str, archive_files: int, archive_bytes: int, retired_by: str) -> Retirement:
    cursor.execute(f"INSERT INTO retirements ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [model_version_id, project_id, version, reason, previous_state, replacement_id,
                    no_replacement_confirmed, archive_path, archive_sha256, archive_files, archive_bytes, utc_now(),
                    retired_by])
    return get(cursor, model_version_id)


def get(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> Retirement | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM retirements WHERE model_version_id = ?",
                         [model_version_id]).fetchone()
    return _retirement(row) if row else None


def for_project(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[Retirement]:
    """The project's retirements, oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM retirements WHERE project_id = ? ORDER BY retired_at, "
                          "model_version_id", [project_id]).fetchall()
    return [_retirement(row) for row in rows]


def versions_keeping_artifact(cursor: duckdb.DuckDBPyConnection, artifact_hash: str, *, besides: int) -> int:
    """How many model versions other than ``besides`` that are not retired refer to this artifact file."""
    return cursor.execute("SELECT count(*) FROM model_versions WHERE artifact_hash = ? AND state <> 'retired' "
                          "AND id <> ?", [artifact_hash, besides]).fetchone()[0]


def archive_paths(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Every archive folder on record, relative to the workspace's files folder."""
    return {row[0] for row in cursor.execute("SELECT archive_path FROM retirements").fetchall()}
