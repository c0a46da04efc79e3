"""Model versions and validation reports."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import InputColumn, ModelState, ModelVersion, StoredValidation

_COLUMNS = ("id, project_id, run_id, version, state, artifact_hash, input_schema, trained_by, created_at, "
            "created_by, state_changed_at, approved_by, approved_at")
_INSERTED = ("id, project_id, run_id, version, state, artifact_hash, input_schema, trained_by, created_at, "
             "created_by, state_changed_at")


def _version(row: tuple) -> ModelVersion:
    (id_, project_id, run_id, version, state, artifact_hash, schema, trained_by, created_at, created_by,
     changed_at, approved_by, approved_at) = row
    columns = tuple(InputColumn(**{**c, "categories": tuple(c.get("categories", ()))}) for c in json.loads(schema))
    return ModelVersion(id=id_, project_id=project_id, run_id=run_id, version=version, state=ModelState(state),
                        artifact_hash=artifact_hash, input_schema=columns, trained_by=trained_by,
                        created_at=created_at, created_by=created_by, state_changed_at=changed_at,
                        approved_by=approved_by, approved_at=approved_at)


def insert_version(cursor: duckdb.DuckDBPyConnection, *, project_id: int, run_id: int, artifact_hash: str,
                   input_schema: tuple[InputColumn, ...], trained_by: str, created_by: str) -> ModelVersion:
    version_id = cursor.execute("SELECT nextval('model_version_ids')").fetchone()[0]
    number = cursor.execute("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE project_id = ?",
                            [project_id]).fetchone()[0]
    now = utc_now()
    schema = json.dumps([{**asdict(c), "categories": list(c.categories)} for c in input_schema])
    cursor.execute(f"INSERT INTO model_versions ({_INSERTED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [version_id, project_id, run_id, number, ModelState.CANDIDATE, artifact_hash, schema, trained_by, now,
                    created_by, now])
    return get_version(cursor, version_id)


def get_version(cursor: duckdb.DuckDBPyConnection, version_id: int) -> ModelVersion | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE id = ?", [version_id]).fetchone()
    return _version(row) if row else None


def versions_for(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[ModelVersion]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE project_id = ? ORDER BY id",
                          [project_id]).fetchall()
    return [_version(r) for r in rows]


def version_for_run(cursor: duckdb.DuckDBPyConnection, run_id: int) -> ModelVersion | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE run_id = ? ORDER BY id LIMIT 1",
                         [run_id]).fetchone()
    return _version(row) if row else None


def set_approved(cursor: duckdb.DuckDBPyConnection, version_id: int, approved_by: str) -> None:
    cursor.execute("UPDATE model_versions SET approved_by = ?, approved_at = ? WHERE id = ?",
                   [approved_by, utc_now(), version_id])


def set_state(cursor: duckdb.DuckDBPyConnection, version_id: int, state: ModelState) -> None:
    cursor.execute("UPDATE model_versions SET state = ?, state_changed_at = ? WHERE id = ?",
                   [state, utc_now(), version_id])


def insert_validation(cursor: duckdb.DuckDBPyConnection, *, model_version_id: int, objectives_version: int | None,
                      passed: bool, report: dict[str, Any], created_by: str) -> StoredValidation:
    report_id = cursor.execute("SELECT nextval('validation_report_ids')").fetchone()[0]
    cursor.execute("INSERT INTO validation_reports VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [report_id, model_version_id, objectives_version, passed, json.dumps(report, allow_nan=False),
                    utc_now(), created_by])
    return latest_validation(cursor, model_version_id)


def latest_validation(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> StoredValidation | None:
    row = cursor.execute(
        "SELECT id, model_version_id, objectives_version, passed, report, created_at, created_by "
        "FROM validation_reports WHERE model_version_id = ? ORDER BY id DESC LIMIT 1", [model_version_id]).fetchone()
    if row is None:
        return None
    id_, version_id, objectives_version, passed, report, created_at, created_by = row
    return StoredValidation(id=id_, model_version_id=version_id, objectives_version=objectives_version,
                            passed=passed, report=json.loads(report), created_at=created_at, created_by=created_by)


def artifact_hashes(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Every artifact hash a model version refers to (its file is on record)."""
    return {row[0] for row in cursor.execute("SELECT DISTINCT artifact_hash FROM model_versions").fetchall()}
