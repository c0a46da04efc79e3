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
- categorical columns: the count of each of the caller's categories, found by the texts the log
  writes them as (``13`` and ``13.0`` may both be category ``13``), and the count of values that
  are none of them.

Categories are counted by their position in the caller's list (``list_position``), not grouped by
value: DuckDB computes a value histogram with a GROUP BY of its own per column, which costs as
much as the JSON parse for a dozen columns. Segments that cannot be read are skipped with a
``TornSegment`` warning (``prediction_log.segments``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from lifecycle.store.log_columns import columns_files
from lifecycle.store.prediction_log import Segments, segments
from lifecycle.store.window_sql import bucket_sql

INPUT, PREDICTION, SCORE = "input", "prediction", "score"  # where a column's value is read from


@dataclass(frozen=True, kw_only=True)
class LogColumn:
    """One column to aggregate. ``origin``: ``input`` (a key of the inputs JSON), ``prediction``
    (the logged prediction) or ``score`` (the probability of class ``key`` in the outputs).
    Numeric columns give ``boundaries`` (strictly increasing) and the first and last grid points;
    categorical ones ``texts`` (as the log writes a category) and the 0-based category each text is
    (``codes``), out of ``categories``."""

    origin: str
    key: str
    numeric: bool
    boundaries: tuple[float, ...] = ()
    low: float = 0.0
    high: float = 0.0
    texts: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()
    categories: int = 0


@dataclass(frozen=True, kw_only=True)
class ColumnAggregate:
    """One column in one window, as the query returned it: ``n`` non-empty values (their sum
    ``total`` when numeric). Numeric: ``values``/``counts`` (distinct values and their counts)
    when exact, else ``grid`` (counts aligned with the boundaries plus one for the values above
    the last) and the tails' sums. Categorical: ``counts`` per category and ``other`` (values
    that are none of them)."""

    n: int
    total: float = 0.0
    values: np.ndarray | None = None
    counts: np.ndarray | None = None
    grid: np.ndarray | None = None
    below_sum: float = 0.0
    above_sum: float = 0.0
    other: int = 0


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
    ``since`` on when given), oldest first, and the segments read. Reads no JSON."""
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


def value_sql(columns: Sequence[LogColumn]) -> tuple[str, list, list[str]]:
    """How the values of ``columns`` are read from a log row: the SELECT list over the segment's
    columns (one JSON parse per row for the inputs, one for the scores), its parameters, and the
    expression of each column's value over it (numeric: a DOUBLE, NULL when not a finite number;
    categorical: the logged text)."""
    inputs = [c for c in columns if c.origin == INPUT]
    scores = [c for c in columns if c.origin == SCORE]
    extracts, params = [], []
    if inputs:
        extracts.append("json_extract_string(inputs, ?::VARCHAR[]) AS v")
        params.append([pointer(c.key) for c in inputs])
    if any(c.origin == PREDICTION for c in columns):
        extracts.append("json_extract_string(prediction, '$') AS p")
    if scores:
        extracts.append("json_extract_string(outputs, ?::VARCHAR[]) AS s")
        params.append([pointer(c.key) for c in scores])
    position = {id(c): k + 1 for group in (inputs, scores) for k, c in enumerate(group)}

    def text(column: LogColumn) -> str:
        if column.origin == PREDICTION:
            return "p"
        return f"{'v' if column.origin == INPUT else 's'}[{position[id(column)]}]"

    expressions = [f"CASE WHEN isfinite(TRY_CAST({text(c)} AS DOUBLE)) THEN TRY_CAST({text(c)} AS DOUBLE) END"
                   if c.numeric else text(c) for c in columns]
    return ", ".join(extracts) if extracts else "NULL AS nothing", params, expressions


def window_aggregates(files: Sequence[Path], *, version_id: int, size_seconds: int, windows: Sequence[datetime],
                      exact_windows: Sequence[datetime], columns: Sequence[LogColumn],
                      threads: int | None = None, cache: Path | None = None) -> list[WindowAggregates]:
    """The aggregates of ``columns`` in each of ``windows`` (window starts; numeric columns of
    those in ``exact_windows`` with every distinct value), oldest first; windows without rows
    are absent. With ``cache`` (a folder), each segment's values are parsed once and kept there
    as typed Parquet (``store.log_columns``); the results are the same."""
    if not windows or not files:
        return []
    bucket = bucket_sql('"time"', size_seconds)
    window_list = sorted(set(windows))
    small_windows = sorted(set(exact_windows) & set(window_list))
    span = [window_list[0], window_list[-1] + timedelta(seconds=int(size_seconds))]
    select, select_params, expressions = value_sql(columns)
    values = "".join(f", v{i}" for i in range(len(columns)))
    if cache is not None:
        typed = columns_files(files, cache, select=select, expressions=expressions, params=select_params,
                              threads=threads)
        source = (f"SELECT {bucket} AS w{values} FROM {_source(typed)} "
                  'WHERE version_id = ? AND "time" >= ? AND "time" < ?')
        source_params = [int(version_id), *span]
    else:
        computed = "".join(f", {e} AS v{i}" for i, e in enumerate(expressions))
        source = (f"SELECT {bucket} AS w{computed} FROM (SELECT \"time\", {select} FROM {_source(files)} "
                  "WHERE role = 'answer' AND status < 400 AND version_id = ? AND \"time\" >= ? AND \"time\" < ?)")
        source_params = [*select_params, int(version_id), *span]
    # DuckDB counts a value histogram with a GROUP BY of its own: ask only for what a window needs
    exact, binned = bool(small_windows), len(small_windows) < len(window_list)
    derived, derived_params, aggregates, aggregate_params = [], [], [], []
    for i, column in enumerate(columns):
        if column.numeric:
            aggregates += [f"count(v{i}) AS n_{i}", f"sum(v{i}) AS total_{i}"]
            if exact:
                aggregates.append(f"histogram(v{i}) FILTER (small) AS exact_{i}")
            if binned:
                aggregates += [f"histogram(v{i}, ?::DOUBLE[]) FILTER (NOT small) AS grid_{i}",
                               f"sum(v{i}) FILTER (v{i} < ?) AS below_{i}", f"sum(v{i}) FILTER (v{i} > ?) AS above_{i}"]
                aggregate_params += [[float(b) for b in column.boundaries] or [0.0], float(column.low),
                                     float(column.high)]
        else:
            derived.append(f"list_extract(?::INTEGER[], list_position(?::VARCHAR[], v{i})) AS k{i}")
            derived_params += [[c + 1 for c in column.codes] or [1], list(column.texts) or [""]]
            aggregates += [f"count(v{i}) AS n_{i}",
                           f"histogram(k{i}, ?::INTEGER[]) AS codes_{i}"]
            aggregate_params.append(list(range(1, max(column.categories, 1) + 1)))
    # nested subqueries, not CTEs: DuckDB would fan a CTE out to each of its uses
    sql = f"""
        SELECT w, count(*) AS rows, bool_or(small) AS small{"".join(", " + a for a in aggregates)}
        FROM (SELECT *, list_contains(?::TIMESTAMP[], w) AS small{"".join(", " + d for d in derived)}
              FROM ({source})
              WHERE list_contains(?::TIMESTAMP[], w))
        GROUP BY w ORDER BY w"""
    params = aggregate_params + [small_windows] + derived_params + source_params + [window_list]
    connection = _connect(threads)
    try:
        table = connection.sql(sql, params=params).to_arrow_table()
    finally:
        connection.close()
    return [_window(table, row, columns) for row in range(table.num_rows)]


def _map_arrays(table: pa.Table, name: str, row: int) -> tuple[np.ndarray, np.ndarray]:
    value = table.column(name)[row]
    if not value.is_valid:
        return np.empty(0), np.empty(0, dtype=np.int64)
    entries = value.values  # a StructArray of key, value
    keys = entries.field("key").to_numpy(zero_copy_only=False).astype(float)
    return keys, entries.field("value").to_numpy(zero_copy_only=False).astype(np.int64)


def _number(table: pa.Table, name: str, row: int) -> float:
    return (table.column(name)[row].as_py() or 0) if name in table.column_names else 0


def _window(table: pa.Table, row: int, columns: Sequence[LogColumn]) -> WindowAggregates:
    small = bool(table.column("small")[row].as_py())
    aggregates = []
    for i, column in enumerate(columns):
        n = int(_number(table, f"n_{i}", row))
        if not column.numeric:
            keys, counts = _map_arrays(table, f"codes_{i}", row)
            per_category = np.zeros(column.categories, dtype=np.int64)
            inside = np.isfinite(keys) & (keys >= 1) & (keys <= column.categories)
            per_category[keys[inside].astype(np.int64) - 1] = counts[inside]
            aggregates.append(ColumnAggregate(n=n, counts=per_category, other=int(n - per_category.sum())))
            continue
        total = float(_number(table, f"total_{i}", row))
        if small:
            values, counts = _map_arrays(table, f"exact_{i}", row)
            aggregates.append(ColumnAggregate(n=n, total=total, values=values, counts=counts))
            continue
        keys, counts = _map_arrays(table, f"grid_{i}", row)
        grid = np.zeros(len(column.boundaries) + 1, dtype=np.int64)
        above = ~np.isfinite(keys)  # the bucket above the last boundary is keyed inf
        grid[np.searchsorted(column.boundaries, keys[~above])] = counts[~above]
        grid[-1] = counts[above].sum()
        aggregates.append(ColumnAggregate(n=n, total=total, grid=grid, below_sum=float(_number(table, f"below_{i}", row)),
                                          above_sum=float(_number(table, f"above_{i}", row))))
    return WindowAggregates(start=table.column("w")[row].as_py(), rows=int(table.column("rows")[row].as_py()),
                            exact=small, columns=tuple(aggregates))
