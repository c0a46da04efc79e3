"""Model versions and validation reports."""
from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Sequence

import duckdb
import pyarrow as pa

from lifecycle.clock import utc_now
from lifecycle.records import InputColumn, ModelState, ModelVersion, StoredValidation

_COLUMNS = ("id, project_id, run_id, version, state, artifact_hash, input_schema, trained_by, created_at, "
            "created_by, state_changed_at, approved_by, approved_at")
_INSERTED = ("id, project_id, run_id, version, state, artifact_hash, input_schema, trained_by, created_at, "
             "created_by, state_changed_at")


@lru_cache(maxsize=1024)
def _input_schema(text: str) -> tuple[InputColumn, ...]:
    """The input columns stored as ``text`` (frozen records, so one parse serves every version that
    shares it, as a project's versions mostly do: listing 900 versions spent 0.2 s parsing, each time)."""
    return tuple(InputColumn(**{**c, "categories": tuple(c.get("categories", ()))}) for c in json.loads(text))


def _version(row: tuple) -> ModelVersion:
    (id_, project_id, run_id, version, state, artifact_hash, schema, trained_by, created_at, created_by,
     changed_at, approved_by, approved_at) = row
    return ModelVersion(id=id_, project_id=project_id, run_id=run_id, version=version, state=ModelState(state),
                        artifact_hash=artifact_hash, input_schema=_input_schema(schema), trained_by=trained_by,
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


def insert_versions(cursor: duckdb.DuckDBPyConnection, versions: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many candidate versions in one statement through Arrow (each dict holds the keyword
    arguments of :func:`insert_version`); each project's numbers go on from its newest. Ids in order."""
    if not versions:
        return []
    projects = sorted({v["project_id"] for v in versions})
    newest = dict(cursor.execute("SELECT project_id, max(version) FROM model_versions WHERE project_id IN "
                                 f"({', '.join(['?'] * len(projects))}) GROUP BY project_id", projects).fetchall())
    now = utc_now()
    rows: dict[str, list[Any]] = {name: [] for name in ("project_id", "run_id", "version", "artifact_hash",
                                                         "input_schema", "trained_by", "created_by")}
    for fields in versions:
        newest[fields["project_id"]] = newest.get(fields["project_id"], 0) + 1
        schema = json.dumps([{**asdict(c), "categories": list(c.categories)} for c in fields["input_schema"]])
        for name, value in (("project_id", fields["project_id"]), ("run_id", fields["run_id"]),
                            ("version", newest[fields["project_id"]]), ("artifact_hash", fields["artifact_hash"]),
                            ("input_schema", schema), ("trained_by", fields["trained_by"]),
                            ("created_by", fields["created_by"])):
            rows[name].append(value)
    batch = pa.table(rows)
    cursor.execute("SELECT 1").fetchall()  # finish any result left pending on the cursor
    cursor.register("_versions_batch", batch)
    try:
        inserted = cursor.execute(
            f"INSERT INTO model_versions ({_INSERTED}) SELECT nextval('model_version_ids'), project_id, run_id, "
            "version, ?, artifact_hash, input_schema, trained_by, ?, created_by, ? FROM _versions_batch RETURNING id",
            [ModelState.CANDIDATE.value, now, now]).fetchall()
    finally:
        cursor.unregister("_versions_batch")
    return sorted(r[0] for r in inserted)


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


def latest_validations(cursor: duckdb.DuckDBPyConnection, version_ids: Sequence[int]) -> dict[int, StoredValidation]:
    """The newest validation report of each version in ``version_ids`` that has one, in one query."""
    if not version_ids:
        return {}
    rows = cursor.execute(
        "SELECT id, model_version_id, objectives_version, passed, report, created_at, created_by "
        "FROM validation_reports WHERE model_version_id IN (SELECT unnest(?)) "
        "QUALIFY row_number() OVER (PARTITION BY model_version_id ORDER BY id DESC) = 1",
        [[int(v) for v in version_ids]]).fetchall()
    return {version_id: StoredValidation(id=id_, model_version_id=version_id, objectives_version=objectives_version,
                                         passed=passed, report=json.loads(report), created_at=created_at,
                                         created_by=created_by)
            for id_, version_id, objectives_version, passed, report, created_at, created_by in rows}


def artifact_hashes(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Every artifact hash a model version refers to (its file is on record)."""
    return {row[0] for row in cursor.execute("SELECT DISTINCT artifact_hash FROM model_versions").fetchall()}
