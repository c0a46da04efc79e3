"""Drift aggregates over the prediction log: DuckDB over the Parquet segments, one pass.

A segment holds each input the answering version's schema names in a typed column of its own
(``input:<name>``, ``lifecycle.records.log_names``): those are read as they are, with no parsing. A
segment written before the log was typed holds a row's inputs as JSON text; the features a drift
check needs are read from it with one JSON parse per row (``json_extract_string`` with a list of
JSON pointers, RFC 6901, so any column name works), or from each segment's typed columns file
when a cache folder is given (``store.log_columns``: the same values, parsed once per segment).
Both kinds of segment give the same values (a number as a DOUBLE, NULL when not a finite number;
a category as its text) and are read in one query. Per window of the version's
answered rows (``role = 'answer'``, ``status < 400``), one hash aggregation with a grouping set
per column (``GROUP BY GROUPING SETS ((w), (w, v0), (w, v1), …)``) counts each column's distinct
values; numpy then turns them into what the statistics need, per column:

- numeric columns (values that are not finite numbers count as empty): the count and sum of the
  values; for a window of at most ``exact_rows`` rows, every distinct value with its count; for a
  larger one, the counts on the caller's boundaries (right-closed buckets ``(b[i-1], b[i]]`` as
  DuckDB's ``histogram(x, boundaries)`` counts them, and a last bucket for values above the last
  boundary) plus the sums of the values below the first and above the last grid point;
- categorical columns: the count of each of the caller's categories, found by the texts the log
  writes them as (``13`` and ``13.0`` may both be category ``13``), and the count of values that
  are none of them.

One aggregation for all columns replaces a ``histogram`` aggregate per column (each a hash table
of its own, per window): about half the time on 1M rows × 14 columns, and the same numbers
(``tests/unit/test_monitor_drift_stats.py``). Segments that cannot be read are skipped with a
``TornSegment`` warning (``prediction_log.segments``).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lifecycle.records.log_names import quoted
from lifecycle.store.log_columns import columns_files
from lifecycle.store.prediction_log import Segments, answered_rows, segments, typed_inputs
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


def _source(files: Sequence[Path], *, filename: bool = False) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{listed}], union_by_name = true{', filename = true' if filename else ''})"


_shared: duckdb.DuckDBPyConnection | None = None  # one in-memory database for the process's log reads
_shared_lock = threading.Lock()


def _connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    """A cursor of the process's in-memory database (starting a database costs ~20 ms of CPU), or,
    with ``threads`` (a database-wide setting), a database of its own. The caller closes it."""
    global _shared
    if threads:
        connection = duckdb.connect()
        connection.execute(f"SET threads = {int(threads)}")
        return connection
    with _shared_lock:
        if _shared is None:
            _shared = duckdb.connect()
        return _shared.cursor()


# per log folder, version and window size: each segment's (window, rows), keyed by its path, size
# and mtime (segments never change: a replaced one has a new key, and only current ones are kept)
_counted: dict[tuple[str, int, int], dict[tuple[str, int, int], list[tuple[datetime, int]]]] = {}
_counted_lock = threading.Lock()


def window_counts(folder: Path, *, version_id: int, size_seconds: int, since: datetime | None = None,
                  threads: int | None = None) -> tuple[list[tuple[datetime, int]], Segments]:
    """``(window start, rows)`` of every window holding answered rows of ``version_id`` (from
    ``since`` on when given), oldest first, and the segments read. Reads no JSON. Without
    ``since``, each segment is counted once per process and window size (its counts kept in
    memory), so a refresh with nothing new reads only the segments that arrived."""
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
    keys = {}
    for path in found.files:
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed by retention meanwhile
            continue
        keys[path] = (str(path), stat.st_size, stat.st_mtime_ns)
    memo_key = (str(Path(folder).resolve()), int(version_id), int(size_seconds))
    with _counted_lock:
        known = dict(_counted.get(memo_key, {}))
    missing = [path for path, key in keys.items() if key not in known]
    for path in list(missing):  # the service's footer states its answered rows: one window needs no scan
        stated = _stated(path, int(version_id), int(size_seconds))
        if stated is not None:
            known[keys[path]] = stated
            missing.remove(path)
    if missing:
        connection = _connect(threads)
        try:
            rows = connection.execute(
                f"SELECT filename, {bucket} AS w, count(*) FROM {_source(missing, filename=True)} WHERE {where} "
                "GROUP BY filename, w", params).fetchall()
        finally:
            connection.close()
        fresh: dict[str, list[tuple[datetime, int]]] = {str(path): [] for path in missing}
        for name, start, count in rows:
            fresh[name].append((start, int(count)))
        for path in missing:
            known[keys[path]] = fresh[str(path)]
    current = {key: known[key] for key in keys.values()}
    with _counted_lock:
        _counted[memo_key] = current
    totals: dict[datetime, int] = {}
    for counts in current.values():
        for start, count in counts:
            totals[start] = totals.get(start, 0) + count
    return sorted(totals.items()), found


def _stated(path: Path, version_id: int, size_seconds: int) -> list[tuple[datetime, int]] | None:
    """A segment's windows from what its footer states (``prediction_log.answered_rows``), when its
    answered rows of the version all fall in one window (epoch-aligned, as ``bucket_sql``); None
    when they do not or the footer does not say."""
    answered = answered_rows(path)
    if answered is None:
        return None
    if version_id not in answered:
        return []
    rows, first, last = answered[version_id]
    size = size_seconds * 1_000_000
    if first < 0 or first // size != last // size:
        return None
    return [(datetime(1970, 1, 1) + timedelta(microseconds=first // size * size), rows)]


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


def typed_value_sql(columns: Sequence[LogColumn], typed: dict[str, str]) -> tuple[str, list, list[str]]:
    """Like ``value_sql`` for segments with typed input columns (``typed``: input name -> column,
    over all of them): the SELECT list and each column's value. An input is its typed column,
    else (a row logged without the schema naming it) the key of the ``inputs`` JSON, so a
    segment holding both kinds of rows reads each as ``value_sql`` reads the JSON."""
    rest = [c for c in columns if c.origin != INPUT]
    select, params, rest_expressions = value_sql(rest)
    items = [select] if rest else []
    others = iter(rest_expressions)
    expressions = []
    for i, column in enumerate(columns):
        if column.origin != INPUT:
            expressions.append(next(others))
            continue
        logged = "json_extract_string(inputs, '" + pointer(column.key).replace("'", "''") + "')"
        name = typed.get(column.key)
        if column.numeric:
            value = (f"coalesce(TRY_CAST({quoted(name)} AS DOUBLE), TRY_CAST({logged} AS DOUBLE))" if name
                     else f"TRY_CAST({logged} AS DOUBLE)")
            items.append(f"{value} AS x{i}")
            expressions.append(f"CASE WHEN isfinite(x{i}) THEN x{i} END")
        else:
            items.append(f"{f'coalesce(CAST({quoted(name)} AS VARCHAR), {logged})' if name else logged} AS x{i}")
            expressions.append(f"x{i}")
    return ", ".join(items) or "NULL AS nothing", params, expressions


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
    per_file = typed_inputs(files)
    typed_files = [f for f in files if per_file.get(str(f))]
    json_files = [f for f in files if not per_file.get(str(f))]
    values = "".join(f", v{i}" for i in range(len(columns)))
    where = "role = 'answer' AND status < 400 AND version_id = ? AND \"time\" >= ? AND \"time\" < ?"
    parts, source_params = [], []
    if typed_files:
        union = {name: column for f in typed_files for name, column in per_file[str(f)].items()}
        select, select_params, expressions = typed_value_sql(columns, union)
        computed = "".join(f", {e} AS v{i}" for i, e in enumerate(expressions))
        parts.append(f"SELECT {bucket} AS w{computed} FROM (SELECT \"time\", {select} FROM "
                     f"{_source(typed_files)} WHERE {where})")
        source_params += [*select_params, int(version_id), *span]
    if json_files:
        select, select_params, expressions = value_sql(columns)
        if cache is not None:
            cached = columns_files(json_files, cache, select=select, expressions=expressions, params=select_params,
                                   threads=threads)
            parts.append(f"SELECT {bucket} AS w{values} FROM {_source(cached)} "
                         'WHERE version_id = ? AND "time" >= ? AND "time" < ?')
            source_params += [int(version_id), *span]
        else:
            computed = "".join(f", {e} AS v{i}" for i, e in enumerate(expressions))
            parts.append(f"SELECT {bucket} AS w{computed} FROM (SELECT \"time\", {select} FROM "
                         f"{_source(json_files)} WHERE {where})")
            source_params += [*select_params, int(version_id), *span]
    source = " UNION ALL ".join(parts)
    names = [f"v{i}" for i in range(len(columns))]
    chunks = [names[k:k + GROUPING_CHUNK] for k in range(0, len(names), GROUPING_CHUNK)]
    flags = "".join(f", grouping({', '.join(chunk)}) AS g{k}" for k, chunk in enumerate(chunks))
    sets = ", ".join(["(w)", *(f"(w, {name})" for name in names)])
    # one hash aggregation over every grouping set: each column's distinct values per window
    sql = f"""
        SELECT w{"".join(", " + name for name in names)}{flags}, count(*) AS c
        FROM ({source}) WHERE list_contains(?::TIMESTAMP[], w)
        GROUP BY GROUPING SETS ({sets})"""
    connection = _connect(threads)
    try:
        table = connection.sql(sql, params=[*source_params, window_list]).to_arrow_table()
    finally:
        connection.close()
    return _windows(table, columns, chunks, set(small_windows))


GROUPING_CHUNK = 60  # columns per grouping() flag (a bit each in a BIGINT)


def _windows(table: pa.Table, columns: Sequence[LogColumn], chunks: list[list[str]],
             small: set[datetime]) -> list[WindowAggregates]:
    """The grouped counts split per window and column: ``(w)`` rows give a window's row count,
    ``(w, v<i>)`` rows column i's distinct values (NULL: empty) and their counts; each column's
    windows are counted at once (``np.bincount`` keyed by window)."""
    if table.num_rows == 0:
        return []
    starts = table.column("w").to_numpy(zero_copy_only=False)
    counts = table.column("c").to_numpy(zero_copy_only=False).astype(np.int64)
    flags = [table.column(f"g{k}").to_numpy(zero_copy_only=False).astype(np.int64) for k in range(len(chunks))]
    alls = [(1 << len(chunk)) - 1 for chunk in chunks]
    whole = np.logical_and.reduce([f == full for f, full in zip(flags, alls)])
    order = np.unique(starts[whole])
    windows = len(order)
    rows = np.bincount(np.searchsorted(order, starts[whole]), weights=counts[whole], minlength=windows)
    exact = np.array([_start(start) in small for start in order], dtype=bool)
    per_column = []
    for i, column in enumerate(columns):
        k, bit = divmod(i, GROUPING_CHUNK)
        mine = flags[k] == alls[k] ^ (1 << (len(chunks[k]) - 1 - bit))
        values = table.column(f"v{i}").filter(pa.array(mine))
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        window = np.searchsorted(order, starts[mine][valid])
        weight = counts[mine][valid]
        n = np.bincount(window, weights=weight, minlength=windows).astype(np.int64)
        present = values.filter(pa.array(valid))
        if column.numeric:
            per_column.append(_numeric(column, present.to_numpy(zero_copy_only=False).astype(float), weight, window,
                                       n, exact))
        else:
            per_column.append(_categorical(column, present, weight, window, n))
    return [WindowAggregates(start=_start(start), rows=int(rows[w]), exact=bool(exact[w]),
                             columns=tuple(aggregates[w] for aggregates in per_column))
            for w, start in enumerate(order)]


def _start(value) -> datetime:
    """A window start from numpy's datetime64 as the naive UTC datetime the store uses."""
    return datetime(1970, 1, 1) + timedelta(microseconds=int(value.astype("datetime64[us]").astype(np.int64)))


def _numeric(column: LogColumn, values: np.ndarray, counts: np.ndarray, window: np.ndarray, n: np.ndarray,
             exact: np.ndarray) -> list[ColumnAggregate]:
    windows = len(n)
    # by window, then value: the query returns groups in no fixed order, and the sums below are
    # floating point, so they are taken in one order whatever the order of the rows (or segments)
    order = np.lexsort((values, window))
    values, counts, window = values[order], counts[order], window[order]
    totals = np.bincount(window, weights=values * counts, minlength=windows)
    boundaries = np.asarray(column.boundaries or (0.0,), dtype=float)
    # DuckDB's histogram(x, boundaries): right-closed buckets (b[i-1], b[i]], one more above the last
    width = len(boundaries) + 1
    binned = ~exact[window]
    bucket = np.searchsorted(boundaries, values[binned], side="left")
    grids = np.bincount(window[binned] * width + bucket, weights=counts[binned],
                        minlength=windows * width).astype(np.int64).reshape(windows, width)
    below, above = values < column.low, values > column.high
    below_sums = np.bincount(window[below], weights=values[below] * counts[below], minlength=windows)
    above_sums = np.bincount(window[above], weights=values[above] * counts[above], minlength=windows)
    ends = np.searchsorted(window, np.arange(windows), side="right")  # sorted: each exact window's values
    out = []
    for w in range(windows):
        if exact[w]:
            chosen = slice(ends[w - 1] if w else 0, ends[w])
            out.append(ColumnAggregate(n=int(n[w]), total=float(totals[w]), values=values[chosen].copy(),
                                       counts=counts[chosen].copy()))
        else:
            out.append(ColumnAggregate(n=int(n[w]), total=float(totals[w]), grid=grids[w],
                                       below_sum=float(below_sums[w]), above_sum=float(above_sums[w])))
    return out


def _categorical(column: LogColumn, texts: pa.Array, counts: np.ndarray, window: np.ndarray,
                 n: np.ndarray) -> list[ColumnAggregate]:
    windows, categories = len(n), max(column.categories, 1)
    per_category = np.zeros((windows, categories), dtype=np.int64)
    if column.texts and len(texts):
        # the position of each distinct text in the caller's list (the first listed wins), then its code
        found = pc.index_in(texts.cast(pa.string()), value_set=pa.array(column.texts, type=pa.string()))
        known = found.is_valid().to_numpy(zero_copy_only=False)
        codes = np.asarray(column.codes, dtype=np.int64)[found.filter(found.is_valid()).to_numpy(zero_copy_only=False)]
        per_category = np.bincount(window[known] * categories + codes, weights=counts[known],
                                   minlength=windows * categories).astype(np.int64).reshape(windows, categories)
    per_category = per_category[:, :column.categories]
    return [ColumnAggregate(n=int(n[w]), counts=per_category[w], other=int(n[w] - per_category[w].sum()))
            for w in range(windows)]
