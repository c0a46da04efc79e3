"""A throwaway DuckDB for user SQL: no file system, no network, no extensions, no writes.

The user's query never runs on the workspace connection. It runs on a fresh in-memory
database whose only tables are zero-copy views of the project's frozen datasets, with
external access disabled and the configuration locked, and it is interrupted after a timeout.

The result is bounded while it is produced, never after: it is first materialised inside the
sandbox, whose ``memory_limit`` covers that copy (an in-memory database with no temp
directory cannot spill, so an oversized result fails there, not in the server's heap), then
read out as Arrow batches, counting rows and bytes and stopping at the limit.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import duckdb
import pyarrow as pa

_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "python_enable_replacements": False,  # no scanning of Python variables by name
    # No temp directory at all: DuckDB lets even a locked-down database read and list its own
    # temp folder (by default `.tmp` under the working directory), and with none it cannot
    # spill either, so `memory_limit` is a hard bound.
    "temp_directory": "",
    "memory_limit": "2GB",
    "threads": 2,
}
_BATCH_ROWS = 1024
_RESULT = "__lifecycle_result"


class QueryRejected(Exception):
    """The SQL is not a single SELECT, or failed to parse or run; the message says why."""


class ResultTooLarge(QueryRejected):
    """The result passed one of the bounds; ``bound`` names it: rows, bytes, columns or memory."""

    def __init__(self, bound: str, seen: int | None = None):
        super().__init__(f"The result passed the {bound} bound.")
        self.bound = bound
        self.seen = seen


@dataclass(frozen=True, kw_only=True)
class Bounds:
    """What a result may hold. ``truncate``: stop quietly at rows or bytes (a preview) instead of refusing."""

    max_rows: int
    max_bytes: int
    max_columns: int
    memory_bytes: int
    truncate: bool = False


@dataclass(frozen=True, kw_only=True)
class SelectResult:
    table: pa.Table
    truncated: bool


def _parse(sql: str) -> dict:
    with duckdb.connect(":memory:", config=_CONFIG) as probe:
        return json.loads(probe.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])


def column_references(sql: str) -> list[tuple[str, ...]]:
    """Every column reference of a SELECT as DuckDB parsed it (``t.score`` is ``("t", "score")``);
    empty when the text does not parse (``run_select`` then says why)."""
    found: list[tuple[str, ...]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("class") == "COLUMN_REF" and node.get("column_names"):
                found.append(tuple(node["column_names"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    parsed = _parse(sql)
    if not parsed.get("error"):
        walk(parsed.get("statements", []))
    return found


# What a statement that is not a SELECT would do, by DuckDB's statement type: the refusal says it.
_WOULD = {
    "LOAD": "load or install an extension",
    "ATTACH": "attach another database",
    "DETACH": "detach a database",
    "COPY": "read or write a file",
    "EXPORT": "write files",
    "SET": "change a setting",
    "PRAGMA": "change or read a setting",
    "CALL": "call a procedure",
    **dict.fromkeys(("CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "VACUUM"), "change data"),
}


def _refusal(sql: str) -> str:
    """Why a statement that is not a SELECT is refused, naming what it would do."""
    try:
        with duckdb.connect(":memory:", config=_CONFIG) as probe:
            kinds = [s.type.name for s in probe.extract_statements(sql)]
    except duckdb.Error:
        kinds = []
    doing = next((_WOULD[k] for k in kinds if k in _WOULD), None)
    return f"Only SELECT queries are allowed; this one would {doing}." if doing else \
        "Only SELECT queries are allowed; this one is not a SELECT."


def statement_check(sql: str) -> None:
    """Accept exactly one SELECT statement (parsed by DuckDB, not by a regex)."""
    parsed = _parse(sql)
    if parsed.get("error"):
        message = parsed.get("error_message", "")
        if "Only SELECT" in message:
            raise QueryRejected(_refusal(sql))
        raise QueryRejected(message)
    if len(parsed.get("statements", [])) != 1:
        raise QueryRejected(f"Write one SELECT statement; this text holds {len(parsed['statements'])}.")


def run_select(sql: str, views: dict[str, pa.Table], bounds: Bounds, *, timeout_s: float = 30.0) -> SelectResult:
    statement_check(sql)
    config = dict(_CONFIG, memory_limit=f"{max(bounds.memory_bytes // (1024 * 1024), 64)}MB")
    with duckdb.connect(":memory:", config=config) as sandbox:
        for name, table in views.items():
            sandbox.register(name, table)
        sandbox.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout_s, sandbox.interrupt)
        timer.start()
        try:
            relation = sandbox.sql(sql)
            if len(relation.columns) > bounds.max_columns:
                raise ResultTooLarge("columns", len(relation.columns))
            relation.limit(bounds.max_rows + 1).create(_RESULT)  # inside memory_limit
            return _read_bounded(sandbox, bounds)
        except duckdb.InterruptException:
            raise QueryRejected(f"The query ran longer than {timeout_s:g} s and was stopped.") from None
        except duckdb.OutOfMemoryException:
            raise ResultTooLarge("memory") from None
        except duckdb.Error as error:
            raise QueryRejected(str(error).split("\n")[0]) from None
        finally:
            timer.cancel()


def _read_bounded(sandbox: duckdb.DuckDBPyConnection, bounds: Bounds) -> SelectResult:
    rows = sandbox.sql(f"SELECT count(*) FROM {_RESULT}").fetchall()[0][0]
    if rows > bounds.max_rows and not bounds.truncate:
        raise ResultTooLarge("rows", rows)
    reader = sandbox.table(_RESULT).limit(bounds.max_rows).to_arrow_reader(_BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    size = 0
    truncated = rows > bounds.max_rows
    for batch in reader:
        if size + batch.nbytes > bounds.max_bytes:
            if not bounds.truncate:
                raise ResultTooLarge("bytes", size + batch.nbytes)
            keep = _rows_within(batch, bounds.max_bytes - size)  # a preview keeps the rows that still fit
            if keep:
                batches.append(batch.slice(0, keep))
            truncated = True
            break
        batches.append(batch)
        size += batch.nbytes
    return SelectResult(table=pa.Table.from_batches(batches, schema=reader.schema), truncated=truncated)


def _rows_within(batch: pa.RecordBatch, budget: int) -> int:
    keep = batch.num_rows
    while keep and batch.slice(0, keep).nbytes > budget:
        keep //= 2
    return keep
