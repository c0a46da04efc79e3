"""A/B tests: the records (one row per test) and the labelled outcomes of a running test, read from
the scoring service's logs (predictions joined to the labels that count by request id and row: the
Monitor stage's one rule, ``store.monitor_labels``)."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lifecycle.clock import utc_now
from lifecycle.records import ABTest
from lifecycle.store.monitor_labels import Logs, label_ctes, rule_params

_COLUMNS = ("id, project_id, champion_id, challenger_id, share, outcome, plan, status, started_at, started_by, "
            "reason, ended_at, ended_by, decision, end_reason, result")


def _abtest(row: tuple) -> ABTest:
    (id_, project_id, champion_id, challenger_id, share, outcome, plan, status, started_at, started_by, reason,
     ended_at, ended_by, decision, end_reason, result) = row
    return ABTest(id=id_, project_id=project_id, champion_id=champion_id, challenger_id=challenger_id, share=share,
                  outcome=outcome, plan=json.loads(plan), status=status, started_at=started_at,
                  started_by=started_by, reason=reason, ended_at=ended_at, ended_by=ended_by, decision=decision,
                  end_reason=end_reason, result=json.loads(result) if result else None)


def insert(cursor: duckdb.DuckDBPyConnection, *, project_id: int, champion_id: int, challenger_id: int,
           share: float, outcome: str, plan: dict[str, Any], started_by: str, reason: str) -> ABTest:
    row = cursor.execute(
        f"INSERT INTO abtests ({_COLUMNS}) VALUES (nextval('abtest_ids'), ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, "
        f"NULL, NULL, NULL, NULL, NULL) RETURNING {_COLUMNS}",
        [project_id, champion_id, challenger_id, share, outcome, json.dumps(plan, allow_nan=False), utc_now(),
         started_by, reason]).fetchall()[0]
    return _abtest(row)


def finish(cursor: duckdb.DuckDBPyConnection, test_id: int, *, status: str, decision: str, ended_by: str,
           reason: str, result: dict[str, Any]) -> ABTest:
    """End a running test (no-op on one already ended); returns the row as it is now."""
    cursor.execute("UPDATE abtests SET status = ?, decision = ?, ended_by = ?, end_reason = ?, result = ?, "
                   "ended_at = ? WHERE id = ? AND status = 'running'",
                   [status, decision, ended_by, reason, json.dumps(result, allow_nan=False), utc_now(), test_id])
    return get(cursor, test_id)


def get(cursor: duckdb.DuckDBPyConnection, test_id: int) -> ABTest | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM abtests WHERE id = ?", [test_id]).fetchone()
    return _abtest(row) if row else None


def running(cursor: duckdb.DuckDBPyConnection, project_id: int) -> ABTest | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM abtests WHERE project_id = ? AND status = 'running' "
                         "ORDER BY id DESC LIMIT 1", [project_id]).fetchone()
    return _abtest(row) if row else None


def for_project(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[ABTest]:
    """Every test of the project, newest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM abtests WHERE project_id = ? ORDER BY id DESC",
                          [project_id]).fetchall()
    return [_abtest(r) for r in rows]


def labelled_outcomes(found: Logs, classes: tuple[str, ...] | None, *, version_ids: tuple[int, ...],
                      since: datetime, until: datetime | None = None) -> pd.DataFrame:
    """Answered rows of ``version_ids`` logged at or after ``since`` (and before ``until``) that have
    a label that counts, oldest first: request_id, row, time, version_id, prediction (JSON text, as
    logged) and label (the winning label's canonical text, as JSON text). Which label counts is the
    Monitor stage's one rule (``monitor_labels.label_ctes``: the first valid label per request id and
    row, for ``classes``; None: numbers); a request id answered more than once (a client's retry)
    counts once, by its first answer."""
    columns = ["request_id", "row", "time", "version_id", "prediction", "label"]
    if not found.predictions.files or not found.feedback.files or not version_ids:
        return pd.DataFrame(columns=columns)
    sql = f"""
        WITH {label_ctes(found)}
        SELECT p.request_id, p."row", p."time", p.version_id, p.prediction, to_json(l.label_text)::VARCHAR AS label
        FROM {_source(found.predictions.files)} p JOIN labels l ON l.request_id = p.request_id AND l."row" = p."row"
        WHERE p.role = 'answer' AND p.status < 400 AND p.prediction IS NOT NULL
          AND list_contains($versions, p.version_id) AND p."time" >= $since AND ($until IS NULL OR p."time" < $until)
        QUALIFY row_number() OVER (PARTITION BY p.request_id, p."row" ORDER BY p."time") = 1
        ORDER BY p."time", p.request_id, p."row" """
    params = {**rule_params(classes), "versions": [int(v) for v in version_ids], "since": since, "until": until}
    return _query(sql, params)[columns]


def shadow_pairs(found: Logs, classes: tuple[str, ...] | None, *, answer_id: int, shadow_id: int,
                 since: datetime | None = None) -> pd.DataFrame:
    """Rows the answering version ``answer_id`` and the shadow ``shadow_id`` both scored (same request
    id and row), oldest first: request_id, row, time, answered, shadowed (predictions as JSON text)
    and label (the label that counts, by the Monitor stage's rule as in :func:`labelled_outcomes`, as
    JSON text; NULL without one)."""
    columns = ["request_id", "row", "time", "answered", "shadowed", "label"]
    if not found.predictions.files:
        return pd.DataFrame(columns=columns)
    sql = f"""
        WITH {label_ctes(found)}
        SELECT a.request_id, a."row", a."time", a.prediction AS answered, s.prediction AS shadowed,
               to_json(l.label_text)::VARCHAR AS label
        FROM {_source(found.predictions.files)} a
        JOIN {_source(found.predictions.files)} s ON s.request_id = a.request_id AND s."row" = a."row"
        LEFT JOIN labels l ON l.request_id = a.request_id AND l."row" = a."row"
        WHERE a.role = 'answer' AND s.role = 'shadow' AND a.version_id = $answer AND s.version_id = $shadow
          AND a.status < 400 AND s.status < 400 AND a.prediction IS NOT NULL AND s.prediction IS NOT NULL
          AND ($since IS NULL OR a."time" >= $since)
        ORDER BY a."time", a.request_id, a."row" """
    params = {**rule_params(classes), "answer": answer_id, "shadow": shadow_id, "since": since}
    return _query(sql, params)[columns]


def _source(files: tuple[Path, ...]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _query(sql: str, params: dict[str, Any]) -> pd.DataFrame:
    connection = duckdb.connect()  # in memory: the logs are files, the workspace is never involved
    try:
        return connection.execute(sql, params).df()
    finally:
        connection.close()
