"""Searches, runs and step-wise run metrics.

Every statement's result is fetched in full, so the thread's cursor is never left with a
pending result (DuckDB refuses ``register`` and other work on it until then).

Runs are written once and never updated. Sorting, filtering and paging happen in SQL; JSON
columns (params, cv_metrics, library versions) are parsed only for the rows returned.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from lifecycle.clock import utc_now
from lifecycle.records import Run, Search

_SEARCH_COLUMNS = ("id, project_id, dataset_id, split_id, recipe_id, algorithm, method, trials_requested, "
                   "cv_folds, seed, status, space, created_at, created_by, finished_at, message")
_RUN_FIELDS = ("search_id", "project_id", "dataset_id", "split_id", "recipe_id", "algorithm", "status",
               "primary_metric", "primary_score", "params", "cv_metrics", "details", "created_at", "created_by")
_RUN_COLUMNS = "id, " + ", ".join(_RUN_FIELDS)
# Fields of a Run kept together in the JSON column ``details`` (read back, never filtered on).
_DETAILS = ("seed", "cv_folds", "n_samples", "halving_round", "error", "fit_seconds", "score_seconds",
            "library_versions", "rerun_of")
_JSON_FIELDS = ("params", "cv_metrics")
BULK_THRESHOLD = 64  # more rows than this go in through Arrow, fewer as one statement


@contextmanager
def _registered(cursor: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """An Arrow batch visible as ``name`` inside the block (any result another module left pending
    on the cursor is finished first)."""
    cursor.execute("SELECT 1").fetchall()
    cursor.register(name, table)
    try:
        yield
    finally:
        cursor.unregister(name)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


# ----------------------------------------------------------------------------- searches

def _search(row: tuple) -> Search:
    (id_, project_id, dataset_id, split_id, recipe_id, algorithm, method, trials, folds, seed, status,
     space, created_at, created_by, finished_at, message) = row
    return Search(id=id_, project_id=project_id, dataset_id=dataset_id, split_id=split_id,
                  recipe_id=recipe_id, algorithm=algorithm, method=method, trials_requested=trials,
                  cv_folds=folds, seed=seed, status=status, space=json.loads(space),
                  created_at=created_at, created_by=created_by, finished_at=finished_at,
                  message=message or "")


def insert_search(cursor: duckdb.DuckDBPyConnection, *, project_id: int, dataset_id: int, split_id: int,
                  recipe_id: int, algorithm: str, method: str, trials_requested: int, cv_folds: int,
                  seed: int, space: dict[str, Any], created_by: str, status: str = "running") -> Search:
    row = cursor.execute(
        f"INSERT INTO searches ({_SEARCH_COLUMNS}) VALUES (nextval('search_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        f"?, ?, ?, ?, NULL, '') RETURNING {_SEARCH_COLUMNS}",
        [project_id, dataset_id, split_id, recipe_id, algorithm, method, trials_requested, cv_folds, seed,
         status, _dumps(space), utc_now(), created_by]).fetchall()
    return _search(row[0])


def finish_search(cursor: duckdb.DuckDBPyConnection, search_id: int, status: str, message: str = "") -> Search:
    row = cursor.execute(f"UPDATE searches SET status = ?, finished_at = ?, message = ? WHERE id = ? "
                         f"RETURNING {_SEARCH_COLUMNS}", [status, utc_now(), message, search_id]).fetchall()
    return _search(row[0])


def get_search(cursor: duckdb.DuckDBPyConnection, search_id: int) -> Search | None:
    row = cursor.execute(f"SELECT {_SEARCH_COLUMNS} FROM searches WHERE id = ?", [search_id]).fetchall()
    return _search(row[0]) if row else None


def searches_for(cursor: duckdb.DuckDBPyConnection, project_id: int, limit: int = 100) -> list[Search]:
    rows = cursor.execute(f"SELECT {_SEARCH_COLUMNS} FROM searches WHERE project_id = ? ORDER BY id DESC "
                          "LIMIT ?", [project_id, limit]).fetchall()
    return [_search(r) for r in rows]


# ----------------------------------------------------------------------------- runs

def _run(row: tuple) -> Run:
    values = dict(zip(("id", *_RUN_FIELDS), row))
    for name in _JSON_FIELDS:
        values[name] = json.loads(values[name])
    details = json.loads(values.pop("details"))
    return Run(**values, **{name: details.get(name) for name in _DETAILS})


def _row_values(fields: dict[str, Any]) -> list[Any]:
    """Column values of a run in ``_RUN_FIELDS`` order (``fields`` holds the Run's fields)."""
    details = _dumps({name: fields.get(name) for name in _DETAILS})
    return [details if f == "details" else _dumps(fields[f]) if f in _JSON_FIELDS else fields.get(f)
            for f in _RUN_FIELDS]


def insert_run(cursor: duckdb.DuckDBPyConnection, **fields: Any) -> Run:
    """Insert one run (every field of :class:`Run` but ``id``; ``created_at`` defaults to now)."""
    fields.setdefault("created_at", utc_now())
    fields.setdefault("rerun_of", None)
    run_id = cursor.execute(
        f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (nextval('run_ids'), {', '.join(['?'] * len(_RUN_FIELDS))}) "
        "RETURNING id", _row_values(fields)).fetchall()[0][0]
    return Run(id=run_id, **{f: fields.get(f) for f in (*_RUN_FIELDS, *_DETAILS) if f != "details"})


def insert_runs(cursor: duckdb.DuckDBPyConnection, runs: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many runs in one statement through Arrow; returns their ids in order."""
    if not runs:
        return []
    stamp = utc_now()
    columns = {f: [] for f in _RUN_FIELDS}
    for fields in runs:
        for name, value in zip(_RUN_FIELDS, _row_values({"created_at": stamp, "rerun_of": None, **fields})):
            columns[name].append(value)
    types = {"params": pa.string(), "cv_metrics": pa.string(), "details": pa.string(),
             "primary_score": pa.float64(), "created_at": pa.timestamp("us"), "search_id": pa.int64()}
    batch = pa.table({name: pa.array(values, type=types.get(name)) for name, values in columns.items()})
    with _registered(cursor, "_runs_batch", batch):
        rows = cursor.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) SELECT nextval('run_ids'), "
                              f"{', '.join(_RUN_FIELDS)} FROM _runs_batch RETURNING id").fetchall()
    return sorted(r[0] for r in rows)  # ids come from one sequence in row order


def get_run(cursor: duckdb.DuckDBPyConnection, run_id: int) -> Run | None:
    row = cursor.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", [run_id]).fetchall()
    return _run(row[0]) if row else None


def get_runs(cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[int]) -> list[Run]:
    """The runs with these ids, in the order asked (unknown ids are left out)."""
    if not run_ids:
        return []
    rows = cursor.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE list_contains(?, id)",
                          [list(map(int, run_ids))]).fetchall()
    by_id = {r[0]: r for r in rows}
    return [_run(by_id[i]) for i in run_ids if i in by_id]


def _filters(project_id: int, search_id: int | None, algorithm: str | None,
             statuses: Iterable[str] | None) -> tuple[str, list[Any]]:
    clauses, params = ["project_id = ?"], [project_id]
    if search_id is not None:
        clauses.append("search_id = ?")
        params.append(search_id)
    if algorithm is not None:
        clauses.append("algorithm = ?")
        params.append(algorithm)
    if statuses is not None:
        clauses.append("list_contains(?, status)")
        params.append(list(statuses))
    return " AND ".join(clauses), params


def list_runs(cursor: duckdb.DuckDBPyConnection, project_id: int, *, search_id: int | None = None,
              algorithm: str | None = None, statuses: Iterable[str] | None = None,
              limit: int | None = None, offset: int = 0, newest_first: bool = False) -> list[Run]:
    where, params = _filters(project_id, search_id, algorithm, statuses)
    sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} ORDER BY id {'DESC' if newest_first else 'ASC'}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_run(r) for r in cursor.execute(sql, params).fetchall()]


def count_runs(cursor: duckdb.DuckDBPyConnection, project_id: int, *, search_id: int | None = None,
               algorithm: str | None = None, statuses: Iterable[str] | None = None) -> int:
    where, params = _filters(project_id, search_id, algorithm, statuses)
    return cursor.execute(f"SELECT count(*) FROM runs WHERE {where}", params).fetchall()[0][0]


def _score_sql(metric: str, primary: bool) -> tuple[str, list[Any]]:
    if primary:
        return "primary_score", []
    return "TRY_CAST(json_extract_string(cv_metrics, ?) AS DOUBLE)", [f'$."{metric}".mean']


def leaderboard(cursor: duckdb.DuckDBPyConnection, project_id: int, *, metric: str, primary: bool,
                descending: bool, limit: int, offset: int = 0, search_id: int | None = None,
                algorithm: str | None = None, statuses: Iterable[str] = ("finished",)
                ) -> tuple[list[Run], int]:
    """One page of runs ordered by ``metric`` (best first; runs without it last) and the total."""
    where, params = _filters(project_id, search_id, algorithm, statuses)
    score, score_params = _score_sql(metric, primary)
    if primary:
        where += " AND primary_metric = ?"
        params.append(metric)
    direction = "DESC" if descending else "ASC"
    total = cursor.execute(f"SELECT count(*) FROM runs WHERE {where}", params).fetchall()[0][0]
    rows = cursor.execute(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} ORDER BY {score} {direction} NULLS LAST, id "
        "LIMIT ? OFFSET ?", [*params, *score_params, limit, offset]).fetchall()
    return [_run(r) for r in rows], total


def param_scores(cursor: duckdb.DuckDBPyConnection, project_id: int, algorithm: str, *, metric: str,
                 primary: bool, limit: int = 5000) -> list[tuple[int, dict[str, Any], float]]:
    """(run id, params, score) of an algorithm's finished runs, for a parallel-coordinates chart."""
    score, score_params = _score_sql(metric, primary)
    rows = cursor.execute(
        f"SELECT id, params, {score} AS score FROM runs WHERE project_id = ? AND algorithm = ? "
        f"AND status = 'finished' AND score IS NOT NULL ORDER BY id LIMIT ?",
        [*score_params, project_id, algorithm, limit]).fetchall()
    return [(r[0], json.loads(r[1]), r[2]) for r in rows]


# ----------------------------------------------------------------------------- step-wise metrics

def record_metrics(cursor: duckdb.DuckDBPyConnection, run_id: int,
                   points: Sequence[tuple[str, float, int]], recorded_at: datetime | None = None) -> int:
    """Append (key, value, step) points to a run; many points go in as one Arrow batch."""
    if not points:
        return 0
    stamp = recorded_at or utc_now()
    if len(points) <= BULK_THRESHOLD:
        placeholders = ", ".join(["(?, ?, ?, ?, ?)"] * len(points))
        flat = [v for key, value, step in points for v in (run_id, key, float(value), int(step), stamp)]
        cursor.execute(f"INSERT INTO run_metrics VALUES {placeholders}", flat).fetchall()
        return len(points)
    return record_journalled_metrics(cursor, [(run_id, key, value, step, stamp) for key, value, step in points])


def record_journalled_metrics(cursor: duckdb.DuckDBPyConnection,
                              rows: Sequence[tuple[int, str, float, int, datetime]]) -> int:
    """Insert (run_id, key, value, step, recorded_at) rows, of one run or several, as one Arrow batch."""
    if not rows:
        return 0
    run_ids, keys, values, steps, stamps = zip(*rows)
    batch = pa.table({"run_id": pa.array(run_ids, pa.int64()), "key": pa.array(keys, pa.string()),
                      "value": pa.array(values, pa.float64()), "step": pa.array(steps, pa.int64()),
                      "recorded_at": pa.array(stamps, pa.timestamp("us"))})
    with _registered(cursor, "_metrics_batch", batch):
        cursor.execute("INSERT INTO run_metrics SELECT * FROM _metrics_batch").fetchall()
    return len(rows)


def metric_history(cursor: duckdb.DuckDBPyConnection, run_id: int, key: str) -> list[tuple[int, float]]:
    rows = cursor.execute("SELECT step, value FROM run_metrics WHERE run_id = ? AND key = ? ORDER BY step, "
                          "recorded_at", [run_id, key]).fetchall()
    return [(r[0], r[1]) for r in rows]


def running_searches(cursor: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(search id, runs on record) of every search still marked running."""
    return [tuple(row) for row in cursor.execute(
        "SELECT s.id, (SELECT count(*) FROM runs r WHERE r.search_id = s.id) FROM searches s "
        "WHERE s.status = 'running' ORDER BY s.id").fetchall()]
