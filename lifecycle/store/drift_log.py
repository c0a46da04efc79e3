"""Drift aggregates over the prediction log: DuckDB over the Parquet segments, one pass.

The log holds each row's inputs as JSON text; the features a drift check needs are read from it
with one JSON parse per row (``json_extract_string`` with a list of JSON pointers, RFC 6901, so
any column name works). Per window of the version's answered rows (``role = 'answer'``,
``status < 400``) and per column, the query returns:

- numeric columns (values that are not finite numbers count as empty): the count and sum of the
  values; for a window of at most ``exact_rows`` rows, every distinct value with its count
  (``histogram(x)``); for a larger one, the counts on the caller's boundaries
  (``histogram(x, boundaries)``, DuckDB's right-closed buckets ``(b[i-1], b[i]]`` and a last
  bucket for values above the last boundary) plus the sums of the values below the first and
  above the last grid point;
- categorical columns: every distinct value (as JSON text reads: ``13``, ``Private``, ``true``)
  with its count.

Segments that cannot be read are skipped with a ``TornSegment`` warning (``prediction_log.segments``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from lifecycle.store.prediction_log import Segments, segments
from lifecycle.store.window_sql import bucket_sql

INPUT, PREDICTION, SCORE = "input", "prediction", "score"  # where a column's value is read from


@dataclass(frozen=True, kw_only=True)
class LogColumn:
    """One column to aggregate. ``origin``: ``input`` (a key of the inputs JSON), ``prediction``
    (the logged prediction) or ``score`` (the probability of class ``key`` in the outputs).
    Numeric columns give ``boundaries`` (strictly increasing) and the first and last grid points."""

    origin: str
    key: str
    numeric: bool
    boundaries: tuple[float, ...] = ()
    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ColumnAggregate:
    """One column in one window, as the query returned it. ``values``/``counts``: the distinct
    values (floats for numeric columns, JSON text for categorical ones) and their counts, when
    exact; ``grid``: counts aligned with the column's boundaries plus one (values above the last)
    when not."""

    n: int
    total: float
    values: np.ndarray | None
    counts: np.ndarray | None
    grid: np.ndarray | None = None
    below_sum: float = 0.0
    above_sum: float = 0.0


@dataclass(frozen=True, kw_only=True)
class WindowAggregates:
    start: datetime
    rows: int
    exact: bool
    columns: tuple[ColumnAggregate, ...]  # in the order of the columns asked for


def pointer(key: str) -> str:
    """The JSON pointer (RFC 6901) of a top-level key: ``~`` and ``/`` escaped."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _source(files: Sequence[Path]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    return connection


def window_counts(folder: Path, *, version_id: int, size_seconds: int, since: datetime | None = None,
                  threads: int | None = None) -> tuple[list[tuple[datetime, int]], Segments]:
    """``(window start, rows)`` of every window holding answered rows of ``version_id`` (from
    ``since`` on when given), oldest first, and the segments read. Reads the time column only."""
    found = segments(folder)
    if not found.files:
        return [], found
    bucket = bucket_sql('"time"', size_seconds)
    where, params = "role = 'answer' AND status < 400 AND version_id = ?", [int(version_id)]
    if since is not None:
        where += ' AND "time" >= ?'
        params.append(since)
    connection = _connect(threads)
    try:
        rows = connection.execute(f"SELECT {bucket} AS w, count(*) FROM {_source(found.files)} WHERE {where} "
                                  "GROUP BY w ORDER BY w", params).fetchall()
    finally:
        connection.close()
    return [(start, int(count)) for start, count in rows], found


def window_aggregates(files: Sequence[Path], *, version_id: int, size_seconds: int, windows: Sequence[datetime],
                      exact_windows: Sequence[datetime], columns: Sequence[LogColumn],
                      threads: int | None = None) -> list[WindowAggregates]:
    """The aggregates of ``columns`` in each of ``windows`` (window starts; those in
    ``exact_windows`` with every distinct value), oldest first; windows without rows are absent."""
    if not windows or not files:
        return []
    bucket = bucket_sql('"time"', size_seconds)
    inputs = [c for c in columns if c.origin == INPUT]
    input_at = {id(c): i + 1 for i, c in enumerate(inputs)}
    extracts, params = [], []
    if inputs:
        extracts.append("json_extract_string(inputs, ?::VARCHAR[]) AS v")
        params.append([pointer(c.key) for c in inputs])
    if any(c.origin == PREDICTION for c in columns):
        extracts.append("json_extract_string(prediction, '$') AS p")
    scores = [c for c in columns if c.origin == SCORE]
    if scores:
        extracts.append("json_extract_string(outputs, ?::VARCHAR[]) AS s")
        params.append([pointer(c.key) for c in scores])
    score_at = {id(c): i + 1 for i, c in enumerate(scores)}

    def text(column: LogColumn) -> str:
        if column.origin == INPUT:
            return f"v[{input_at[id(column)]}]"
        return "p" if column.origin == PREDICTION else f"s[{score_at[id(column)]}]"

    cast = [f"TRY_CAST({text(c)} AS DOUBLE) AS r{i}" for i, c in enumerate(columns) if c.numeric]
    finite = [f"CASE WHEN isfinite(r{i}) THEN r{i} END AS x{i}" for i, c in enumerate(columns) if c.numeric]
    window_list = sorted(set(windows))
    small_windows = sorted(set(exact_windows) & set(window_list))
    # DuckDB counts a value histogram with a GROUP BY of its own: ask only for what a window needs
    exact, binned = bool(small_windows), len(small_windows) < len(window_list)
    aggregates, agg_params = [], []
    for i, column in enumerate(columns):
        if column.numeric:
            aggregates += [f"count(x{i}) AS n_{i}", f"sum(x{i}) AS total_{i}"]
            if exact:
                aggregates.append(f"histogram(x{i}) FILTER (small) AS exact_{i}")
            if binned:
                aggregates += [f"histogram(x{i}, ?::DOUBLE[]) FILTER (NOT small) AS grid_{i}",
                               f"sum(x{i}) FILTER (x{i} < ?) AS below_{i}", f"sum(x{i}) FILTER (x{i} > ?) AS above_{i}"]
                agg_params += [[float(b) for b in column.boundaries] or [0.0], float(column.low), float(column.high)]
        else:
            aggregates += [f"count({text(column)}) AS n_{i}", f"histogram({text(column)}) AS exact_{i}"]
    selected = "".join(", " + aggregate for aggregate in aggregates)
    # nested subqueries, not CTEs: DuckDB fans a CTE out to each of its many uses
    sql = f"""
        SELECT w, count(*) AS rows, bool_or(small) AS small{selected}
        FROM (SELECT *{"".join(", " + t for t in finite)}
              FROM (SELECT *, list_contains(?::TIMESTAMP[], w) AS small{"".join(", " + t for t in cast)}
                    FROM (SELECT {bucket} AS w, {", ".join(extracts) if extracts else "NULL AS nothing"}
                          FROM {_source(files)}
                          WHERE role = 'answer' AND status < 400 AND version_id = ? AND "time" >= ? AND "time" < ?)
                    WHERE list_contains(?::TIMESTAMP[], w)))
        GROUP BY w ORDER BY w"""
    span = [window_list[0], window_list[-1] + timedelta(seconds=int(size_seconds))]
    all_params = agg_params + [small_windows] + params + [int(version_id), *span, window_list]
    connection = _connect(threads)
    try:
        table = connection.sql(sql, params=all_params).to_arrow_table()
    finally:
        connection.close()
    return _windows(table, columns)


def _map_arrays(table: pa.Table, name: str, row: int, numeric: bool) -> tuple[np.ndarray, np.ndarray] | None:
    if name not in table.column_names:
        return None
    value = table.column(name)[row]
    if not value.is_valid:
        return (np.empty(0) if numeric else np.empty(0, dtype=object)), np.empty(0, dtype=np.int64)
    entries = value.values  # a StructArray of key, value
    keys = entries.field("key").to_numpy(zero_copy_only=False)
    counts = entries.field("value").to_numpy(zero_copy_only=False).astype(np.int64)
    return (keys.astype(float) if numeric else keys.astype(object)), counts


def _number(table: pa.Table, name: str, row: int) -> float:
    return (table.column(name)[row].as_py() or 0) if name in table.column_names else 0


def _windows(table: pa.Table, columns: Sequence[LogColumn]) -> list[WindowAggregates]:
    out = []
    for row in range(table.num_rows):
        small = bool(table.column("small")[row].as_py())
        aggregates = []
        for i, column in enumerate(columns):
            exact = _map_arrays(table, f"exact_{i}", row, column.numeric) if small or not column.numeric else None
            grid = None
            if not small and column.numeric:
                keys, counts = _map_arrays(table, f"grid_{i}", row, True)
                grid = np.zeros(len(column.boundaries) + 1, dtype=np.int64)
                above = ~np.isfinite(keys)  # the bucket above the last boundary is keyed inf
                grid[np.searchsorted(column.boundaries, keys[~above])] = counts[~above]
                grid[-1] = counts[above].sum()
            aggregates.append(ColumnAggregate(
                n=int(_number(table, f"n_{i}", row)), total=float(_number(table, f"total_{i}", row)),
                values=exact[0] if exact else None, counts=exact[1] if exact else None, grid=grid,
                below_sum=float(_number(table, f"below_{i}", row)), above_sum=float(_number(table, f"above_{i}", row))))
        out.append(WindowAggregates(start=table.column("w")[row].as_py(), rows=int(table.column("rows")[row].as_py()),
                                    exact=small, columns=tuple(aggregates)))
    return out
