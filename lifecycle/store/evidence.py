"""Evidence rows: explanations, fairness reviews and mitigation trade-offs of model versions, and
feasibility checks of projects (``project_evidence``)."""
from __future__ import annotations

import json
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Evidence, ProjectEvidence

_COLUMNS = "id, model_version_id, kind, cache_key, summary, payload, created_at, created_by"


def _evidence(row: tuple) -> Evidence:
    id_, version_id, kind, key, summary, payload, created_at, created_by = row
    return Evidence(id=id_, model_version_id=version_id, kind=kind, cache_key=key, summary=summary,
                    payload=json.loads(payload), created_at=created_at, created_by=created_by)


def insert_evidence(cursor: duckdb.DuckDBPyConnection, *, model_version_id: int, kind: str, cache_key: str,
                    summary: str, payload: dict[str, Any], created_by: str) -> Evidence:
    now = utc_now()
    rows = cursor.execute(
        f"INSERT INTO evidence ({_COLUMNS}) VALUES (nextval('evidence_ids'), ?, ?, ?, ?, ?, ?, ?) "
        f"RETURNING {_COLUMNS}",
        [model_version_id, kind, cache_key, summary, json.dumps(payload, allow_nan=False), now, created_by],
    ).fetchall()
    return _evidence(rows[0])


def find_evidence(cursor: duckdb.DuckDBPyConnection, model_version_id: int, kind: str,
                  cache_key: str) -> Evidence | None:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM evidence WHERE model_version_id = ? AND kind = ? "
                          "AND cache_key = ?", [model_version_id, kind, cache_key]).fetchall()
    return _evidence(rows[0]) if rows else None


def latest_evidence(cursor: duckdb.DuckDBPyConnection, model_version_id: int, kind: str) -> Evidence | None:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM evidence WHERE model_version_id = ? AND kind = ? "
                          "ORDER BY id DESC LIMIT 1", [model_version_id, kind]).fetchall()
    return _evidence(rows[0]) if rows else None


def evidence_for(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> list[Evidence]:
    """Every piece of evidence of a version, newest first (without reading the artifact)."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM evidence WHERE model_version_id = ? ORDER BY id DESC",
                          [model_version_id]).fetchall()
    return [_evidence(r) for r in rows]


_PROJECT_COLUMNS = "id, project_id, kind, cache_key, summary, payload, created_at, created_by"


def _project_evidence(row: tuple) -> ProjectEvidence:
    id_, project_id, kind, key, summary, payload, created_at, created_by = row
    return ProjectEvidence(id=id_, project_id=project_id, kind=kind, cache_key=key, summary=summary,
                           payload=json.loads(payload), created_at=created_at, created_by=created_by)


def insert_project_evidence(cursor: duckdb.DuckDBPyConnection, *, project_id: int, kind: str, cache_key: str,
                            summary: str, payload: dict[str, Any], created_by: str) -> ProjectEvidence:
    now = utc_now()
    rows = cursor.execute(
        f"INSERT INTO project_evidence ({_PROJECT_COLUMNS}) VALUES (nextval('project_evidence_ids'), ?, ?, ?, ?, ?, "
        f"?, ?) RETURNING {_PROJECT_COLUMNS}",
        [project_id, kind, cache_key, summary, json.dumps(payload, allow_nan=False), now, created_by],
    ).fetchall()
    return _project_evidence(rows[0])


def find_project_evidence(cursor: duckdb.DuckDBPyConnection, project_id: int, kind: str,
                          cache_key: str) -> ProjectEvidence | None:
    rows = cursor.execute(f"SELECT {_PROJECT_COLUMNS} FROM project_evidence WHERE project_id = ? AND kind = ? "
                          "AND cache_key = ?", [project_id, kind, cache_key]).fetchall()
    return _project_evidence(rows[0]) if rows else None


def latest_project_evidence(cursor: duckdb.DuckDBPyConnection, project_id: int, kind: str) -> ProjectEvidence | None:
    rows = cursor.execute(f"SELECT {_PROJECT_COLUMNS} FROM project_evidence WHERE project_id = ? AND kind = ? "
                          "ORDER BY id DESC LIMIT 1", [project_id, kind]).fetchall()
    return _project_evidence(rows[0]) if rows else None
