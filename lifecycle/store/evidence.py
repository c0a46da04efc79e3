"""Evidence rows: explanations, fairness reviews and mitigation trade-offs of model versions
(``evidence``), and feasibility checks of projects (``project_evidence``). Both tables have the
same shape; only what the evidence is about differs."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Evidence, ProjectEvidence


@dataclass(frozen=True)
class _Table:
    name: str  # a constant of this module, never user input
    subject: str  # the column naming what the evidence is about
    record: type

    @property
    def columns(self) -> str:
        return f"id, {self.subject}, kind, cache_key, summary, payload, created_at, created_by"

    def build(self, row: tuple):
        id_, subject, kind, key, summary, payload, created_at, created_by = row
        return self.record(id=id_, kind=kind, cache_key=key, summary=summary, payload=json.loads(payload),
                           created_at=created_at, created_by=created_by, **{self.subject: subject})


_MODEL = _Table("evidence", "model_version_id", Evidence)
_PROJECT = _Table("project_evidence", "project_id", ProjectEvidence)


def _insert(table: _Table, cursor: duckdb.DuckDBPyConnection, subject: int, kind: str, cache_key: str, summary: str,
            payload: dict[str, Any], created_by: str):
    rows = cursor.execute(
        f"INSERT INTO {table.name} ({table.columns}) VALUES (nextval('{table.name}_ids'), ?, ?, ?, ?, ?, ?, ?) "
        f"RETURNING {table.columns}",
        [subject, kind, cache_key, summary, json.dumps(payload, allow_nan=False), utc_now(), created_by],
    ).fetchall()
    return table.build(rows[0])


def _find(table: _Table, cursor: duckdb.DuckDBPyConnection, subject: int, kind: str, cache_key: str):
    rows = cursor.execute(f"SELECT {table.columns} FROM {table.name} WHERE {table.subject} = ? AND kind = ? "
                          "AND cache_key = ?", [subject, kind, cache_key]).fetchall()
    return table.build(rows[0]) if rows else None


def _latest(table: _Table, cursor: duckdb.DuckDBPyConnection, subject: int, kind: str):
    rows = cursor.execute(f"SELECT {table.columns} FROM {table.name} WHERE {table.subject} = ? AND kind = ? "
                          "ORDER BY id DESC LIMIT 1", [subject, kind]).fetchall()
    return table.build(rows[0]) if rows else None


def insert_evidence(cursor: duckdb.DuckDBPyConnection, *, model_version_id: int, kind: str, cache_key: str,
                    summary: str, payload: dict[str, Any], created_by: str) -> Evidence:
    return _insert(_MODEL, cursor, model_version_id, kind, cache_key, summary, payload, created_by)


def find_evidence(cursor: duckdb.DuckDBPyConnection, model_version_id: int, kind: str,
                  cache_key: str) -> Evidence | None:
    return _find(_MODEL, cursor, model_version_id, kind, cache_key)


def latest_evidence(cursor: duckdb.DuckDBPyConnection, model_version_id: int, kind: str) -> Evidence | None:
    return _latest(_MODEL, cursor, model_version_id, kind)


def evidence_for(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> list[Evidence]:
    """Every piece of evidence of a version, newest first (without reading the artifact)."""
    rows = cursor.execute(f"SELECT {_MODEL.columns} FROM evidence WHERE model_version_id = ? ORDER BY id DESC",
                          [model_version_id]).fetchall()
    return [_MODEL.build(r) for r in rows]


def insert_project_evidence(cursor: duckdb.DuckDBPyConnection, *, project_id: int, kind: str, cache_key: str,
                            summary: str, payload: dict[str, Any], created_by: str) -> ProjectEvidence:
    return _insert(_PROJECT, cursor, project_id, kind, cache_key, summary, payload, created_by)


def find_project_evidence(cursor: duckdb.DuckDBPyConnection, project_id: int, kind: str,
                          cache_key: str) -> ProjectEvidence | None:
    return _find(_PROJECT, cursor, project_id, kind, cache_key)


def latest_project_evidence(cursor: duckdb.DuckDBPyConnection, project_id: int, kind: str) -> ProjectEvidence | None:
    return _latest(_PROJECT, cursor, project_id, kind)
