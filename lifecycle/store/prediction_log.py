"""Queries over the scoring service's logs: DuckDB ``read_parquet`` over the segments in a folder.

The service writes whole segments only (temporary name, then rename), but a file can still be
torn (a disk that filled up, a copy cut short, a hand edit). Each ``*.parquet`` file in the folder
is checked once (its footer read; results cached by name, size and mtime, since segments never
change) and a broken one is left out with a warning that names it, so the rest stay readable.
An in-memory DuckDB connection does the reading: the workspace file is never involved.

A segment holds each model input the answering version's schema names in a typed column of its
own (``input:<name>``, ``lifecycle.records.log_names``) and the other keys as JSON text in ``inputs``;
segments written before the log was typed hold every key in ``inputs``. ``typed_inputs`` names the
typed columns of a set of segments; ``inputs_frame`` puts a row's inputs back together from both.
"""
from __future__ import annotations

import functools
import json
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from lifecycle.records.log_names import input_name, quoted
from lifecycle.store.window_sql import bucket_sql

PATTERN = "*.parquet"


class TornSegment(UserWarning):
    """A log segment that cannot be read; it is skipped and the rest are read."""


@dataclass(frozen=True, kw_only=True)
class Segments:
    """The readable segments of a log folder and the names of those skipped, with the reason."""

    files: tuple[Path, ...]
    skipped: tuple[tuple[str, str], ...]  # (file name, why it was skipped)


_checked: dict[tuple[str, int, int], str | None] = {}  # (path, size, mtime_ns) -> None if whole, else the reason
# (path, size, mtime_ns) -> (input name -> typed column, the footer's answered rows per version or None)
_footers: dict[tuple[str, int, int], tuple[dict[str, str], dict[int, tuple[int, int, int]] | None]] = {}
ANSWERED_KEY = b"lifecycle.answered"  # footer metadata the service writes (deploy.prediction_log)
_checked_lock = threading.Lock()


def segments(folder: Path) -> Segments:
    """The whole segments in ``folder`` (name order, which is time order) and the torn ones, each
    torn one warned about (``TornSegment``) the first time it is seen."""
    folder = Path(folder)
    if not folder.is_dir():
        return Segments(files=(), skipped=())
    good, skipped = [], []
    for path in sorted(folder.glob(PATTERN)):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed by retention meanwhile
            continue
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with _checked_lock:
            known = key in _checked
            reason = _checked.get(key)
        if not known:
            reason, footer = _problem(path)
            with _checked_lock:
                _checked[key] = reason
                if reason is None:
                    _footers[key] = footer
            if reason is not None:
                warnings.warn(f"Skipped the torn log segment {path.name} in {folder}: {reason}", TornSegment,
                              stacklevel=2)
        if reason is None:
            good.append(path)
        else:
            skipped.append((path.name, reason))
    return Segments(files=tuple(good), skipped=tuple(skipped))


def _problem(path: Path) -> tuple[str | None, tuple]:
    """(None, its footer: typed input columns and answered rows) for a whole segment, else (why it is not, ())."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            handle.seek(-4, 2)
            tail = handle.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            return "not a whole Parquet file (its header or footer is missing)", ()
        metadata = pq.read_metadata(path)
    except OSError as error:
        return f"cannot be read ({error})", ()
    except Exception as error:  # pyarrow's ArrowInvalid and friends
        return f"its metadata cannot be read ({error})", ()
    return None, _footer(metadata)


def _footer(metadata) -> tuple[dict[str, str], dict[int, tuple[int, int, int]] | None]:
    answered = None
    try:
        stated = json.loads((metadata.metadata or {}).get(ANSWERED_KEY, b"null"))
        if isinstance(stated, dict):
            answered = {int(k): (int(v[0]), int(v[1]), int(v[2])) for k, v in stated.items()}
    except (ValueError, TypeError, IndexError):  # a footer this code did not write: counted by a scan
        answered = None
    return dict(_typed_of(tuple(metadata.schema.names))), answered


def _footer_of(path) -> tuple[dict[str, str], dict[int, tuple[int, int, int]] | None]:
    try:
        stat = Path(path).stat()
    except FileNotFoundError:  # removed by retention meanwhile
        return {}, None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _checked_lock:
        footer = _footers.get(key)
    if footer is None:
        footer = _footer(pq.read_metadata(path))
        with _checked_lock:
            _footers[key] = footer
    return footer


def answered_rows(path) -> dict[int, tuple[int, int, int]] | None:
    """What a segment's footer states of its answered rows (``role = 'answer'``, ``status < 400``):
    version id -> (rows, first and last ``time`` in microseconds since 1970); None when the
    footer does not say (a segment written before the service stated it)."""
    return _footer_of(path)[1]


@functools.lru_cache(maxsize=256)
def _typed_of(names: tuple[str, ...]) -> dict[str, str]:
    """Input name -> typed column of a segment's column names (segments mostly share them: cached)."""
    found = {}
    for column in names:
        name = input_name(column)
        if name is not None:
            found[name] = column
    return found


def typed_inputs(files) -> dict[str, dict[str, str]]:
    """For each segment in ``files`` (by path text), its typed input columns (input name -> column);
    {} for a segment written before the log was typed. Read once per segment (name, size, mtime)."""
    return {str(path): _footer_of(path)[0] for path in files}


def typed_union(files) -> dict[str, str]:
    """The typed input columns of any segment in ``files``: input name -> column."""
    return {name: column for typed in typed_inputs(files).values() for name, column in typed.items()}


def input_text_sql(name: str, typed: dict[str, str], inputs: str = "inputs") -> str:
    """SQL for input ``name`` of a log row as text, as the JSON of the row's inputs gives it: its
    typed column when the segments have one (a whole number without ``.0``, as JSON writes an
    integer), else (and for rows logged without it) the key of the ``inputs`` JSON; NULL when
    neither holds it. ``typed``: ``typed_union`` of the segments read."""
    pointer = "'/" + name.replace("~", "~0").replace("/", "~1").replace("'", "''") + "'"
    logged = f"CASE WHEN json_valid({inputs}) THEN json_extract_string({inputs}, {pointer}) END"
    column = typed.get(name)
    if column is None:
        return logged
    value = quoted(column)
    text = (f"CASE WHEN typeof({value}) <> 'DOUBLE' THEN CAST({value} AS VARCHAR) "
            f"WHEN {value} = floor({value}) AND abs({value}) < 1e15 THEN CAST(CAST({value} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({value} AS VARCHAR) END")
    return f"coalesce({text}, {logged})"


def inputs_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Each logged row's inputs as one column per key, from a frame of log rows (its ``inputs``
    JSON text and any typed ``input:`` columns): a typed value where the row has one, else the
    JSON's. Same index as ``frame``; values as logged (numbers, text, None)."""
    if "inputs" in frame.columns and len(frame):
        records = [json.loads(text) if isinstance(text, str) else {} for text in frame["inputs"]]
        logged = pd.DataFrame.from_records([r if isinstance(r, dict) else {} for r in records], index=frame.index)
    else:
        logged = pd.DataFrame(index=frame.index)
    columns = {}
    for column in frame.columns:
        name = input_name(column)
        if name is None:
            continue
        typed = frame[column]
        columns[name] = typed.astype(object).where(typed.notna(), logged[name]) if name in logged.columns else typed
    rest = {name: logged[name] for name in logged.columns if name not in columns}
    return pd.DataFrame({**columns, **rest}, index=frame.index)


def _source(files: tuple[Path, ...]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _query(files: tuple[Path, ...], sql: str, params: list[Any]) -> pd.DataFrame:
    connection = duckdb.connect()
    try:
        return connection.execute(sql.replace("{source}", _source(files)), params).df()
    finally:
        connection.close()


def traffic(folder: Path, since: datetime, until: datetime, *,
            exclude_route: str | None = None) -> tuple[pd.DataFrame, Segments]:
    """Answered requests between ``since`` and ``until`` (UTC), one row per version plus a total row
    (``version_id`` NULL, ``is_total`` true): requests, errors (status >= 400), server_errors
    (>= 500), and p50/p95/p99 of the request latency in ms. A request counts once however many rows
    it carried; refused requests that never reached a version count in the total only. Rows whose
    route is ``exclude_route`` are left out."""
    found = segments(folder)
    columns = ["version_id", "version", "is_total", "requests", "errors", "server_errors", "p50_ms", "p95_ms",
               "p99_ms"]
    if not found.files:
        return pd.DataFrame(columns=columns), found
    frame = _query(found.files, """
        WITH requests AS (
            SELECT request_id, version_id, any_value(version) AS version, max(status) AS status,
                   max(latency_ms) AS latency_ms
            FROM {source}
            WHERE role = 'answer' AND "time" >= ? AND "time" < ? AND route IS DISTINCT FROM ?
            GROUP BY request_id, version_id)
        SELECT version_id, any_value(version) AS version, grouping(version_id) = 1 AS is_total,
               count(*) AS requests, count(*) FILTER (WHERE status >= 400) AS errors,
               count(*) FILTER (WHERE status >= 500) AS server_errors,
               quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.95) AS p95_ms,
               quantile_cont(latency_ms, 0.99) AS p99_ms
        FROM requests
        GROUP BY GROUPING SETS ((version_id), ())
        ORDER BY is_total, version_id""", [since, until, exclude_route])
    return frame[columns], found


def prediction_rows(folder: Path, *, since: datetime | None = None, until: datetime | None = None,
                    version_id: int | None = None, role: str | None = "answer",
                    limit: int | None = None) -> tuple[pd.DataFrame, Segments]:
    """Logged rows (every column of the log), oldest first, filtered by time (UTC), version and role."""
    found = segments(folder)
    if not found.files:
        return pd.DataFrame(), found
    where, params = ["TRUE"], []
    for clause, value in (('"time" >= ?', since), ('"time" < ?', until), ("version_id = ?", version_id),
                          ("role = ?", role)):
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = f'SELECT * FROM {{source}} WHERE {" AND ".join(where)} ORDER BY "time", request_id, "row"'
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return _query(found.files, sql, params), found


def feedback_rows(folder: Path) -> tuple[pd.DataFrame, Segments]:
    """Every feedback row (request_id, row, label as JSON text, time), oldest first."""
    found = segments(folder)
    if not found.files:
        return pd.DataFrame(columns=["request_id", "row", "label", "time"]), found
    return _query(found.files, 'SELECT * FROM {source} ORDER BY "time"', []), found


_TRAFFIC_COLUMNS = ["window_start", "requests", "errors", "server_errors", "rows", "p50_ms", "p95_ms", "p99_ms"]
_spans: dict[tuple[str, int, int], tuple[datetime, datetime] | None] = {}  # segment -> its first and last time
# (folder, window size) -> window start -> (what it was computed from, its row or None without a request)
_windows: dict[tuple[str, int], dict[datetime, tuple[tuple, dict | None]]] = {}
_traffic_lock = threading.Lock()
MAX_CACHED_WINDOWS = 50_000


def _span(path: Path) -> tuple[datetime, datetime] | None:
    """The first and last ``time`` in a segment, from its footer's statistics (cached; segments never
    change); None when the footer has none (the segment then counts as overlapping every window)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _traffic_lock:
        if key in _spans:
            return _spans[key]
    span = None
    try:
        metadata = pq.read_metadata(path)
        position = metadata.schema.names.index("time")
        lows, highs = [], []
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(position).statistics
            if statistics is None or not statistics.has_min_max:
                raise ValueError("no statistics")
            lows.append(statistics.min)
            highs.append(statistics.max)
        if lows:
            span = (pd.Timestamp(min(lows)).to_pydatetime().replace(tzinfo=None),
                    pd.Timestamp(max(highs)).to_pydatetime().replace(tzinfo=None))
    except (ValueError, OSError):
        span = None
    with _traffic_lock:
        _spans[key] = span
    return span


def traffic_windows(folder: Path, since: datetime, until: datetime, size_seconds: int) -> tuple[pd.DataFrame, Segments]:
    """Answered requests per window of ``size_seconds`` (aligned to the epoch, as
    ``monitor.windows``) between ``since`` and ``until`` (UTC), oldest first; windows without a
    request are absent: window_start, requests, errors (status >= 400), server_errors (>= 500),
    rows (answered rows) and p50/p95/p99 of the request latency in ms. Every route counts (the
    simulator's history included: monitoring reads it); shadow rows do not.

    Incremental: a window whole inside [since, until) is kept with the segments it was read from
    (the segments whose times overlap it, by their footers' statistics) and read again only when
    that set changes; so a rerun reads only the open window, the clipped first one and any window
    a new or deleted segment touches (at 10M rows: the whole range 0.45 s, a rerun a few ms)."""
    found = segments(folder)
    if not found.files:
        return pd.DataFrame(columns=_TRAFFIC_COLUMNS), found
    spans = {}
    for path in found.files:
        try:
            spans[(path.name, path.stat().st_size)] = _span(path)
        except FileNotFoundError:  # removed by retention meanwhile: read as absent
            continue
    size = int(size_seconds)
    epoch = datetime(1970, 1, 1)
    first = epoch + pd.Timedelta(seconds=((since - epoch).total_seconds() // size) * size)
    starts = list(pd.date_range(first, until, freq=f"{size}s", inclusive="left").to_pydatetime())
    cached_key = (str(Path(folder)), size)
    with _traffic_lock:
        cached = dict(_windows.get(cached_key, {}))
    kept, wanted, sources = {}, [], {}
    for start in starts:
        end = start + pd.Timedelta(seconds=size)
        overlapping = tuple(sorted(ident for ident, span in spans.items()
                                   if span is None or (span[0] < end and span[1] >= start)))
        whole = start >= since and end <= until
        held = cached.get(start)
        if whole and held is not None and held[0] == overlapping:
            kept[start] = held[1]
            continue
        wanted.append(start)
        sources[start] = (overlapping, whole)
    fresh = {}
    if wanted:
        names = {name for start in wanted for name, _ in sources[start][0]}
        files = tuple(path for path in found.files if path.name in names)
        if files:
            # One pass, no GROUP BY request_id (5.7M keys at 10M rows: 3.2 s): the service logs a request's
            # status and latency on each of its rows and numbers them from 0 (a refused request is one row
            # with no number), so the first row stands for the request.
            frame = _query(files, """
                SELECT window_start,
                       count(*) FILTER (WHERE first) AS requests,
                       count(*) FILTER (WHERE first AND status >= 400) AS errors,
                       count(*) FILTER (WHERE first AND status >= 500) AS server_errors, count(*) AS rows,
                       quantile_cont(latency_ms, 0.5) FILTER (WHERE first) AS p50_ms,
                       quantile_cont(latency_ms, 0.95) FILTER (WHERE first) AS p95_ms,
                       quantile_cont(latency_ms, 0.99) FILTER (WHERE first) AS p99_ms
                FROM (SELECT {bucket} AS window_start, status, latency_ms, coalesce("row", 0) = 0 AS first
                      FROM {source}
                      WHERE role = 'answer' AND "time" >= ? AND "time" < ?)
                WHERE list_contains(?, window_start)
                GROUP BY 1""".replace("{bucket}", bucket_sql('"time"', size)), [since, until, wanted])
            for row in frame.to_dict("records"):
                start = pd.Timestamp(row["window_start"]).to_pydatetime()
                fresh[start] = row
    with _traffic_lock:
        held = _windows.setdefault(cached_key, {})
        if len(held) > MAX_CACHED_WINDOWS:
            held.clear()
        for start in wanted:
            overlapping, whole = sources[start]
            if whole:
                held[start] = (overlapping, fresh.get(start))
    rows = [row for start in starts if (row := kept.get(start) if start in kept else fresh.get(start)) is not None]
    frame = pd.DataFrame(rows, columns=_TRAFFIC_COLUMNS)
    return frame[_TRAFFIC_COLUMNS], found
