"""A throwaway DuckDB for user SQL: no file system, no network, no extensions, no writes.

The user's query never runs on the workspace connection. It runs on a fresh in-memory
database whose only tables are zero-copy views of the project's frozen datasets, with
external access disabled and the configuration locked, and it is interrupted after a timeout.
"""
from __future__ import annotations

import json
import threading

import duckdb
import pyarrow as pa

_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "python_enable_replacements": False,  # no scanning of Python variables by name
    "memory_limit": "2GB",
    "threads": 2,
}


class QueryRejected(Exception):
    """The SQL is not a single SELECT, or failed to parse or run; the message says why."""


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


def statement_check(sql: str) -> None:
    """Accept exactly one SELECT statement (parsed by DuckDB, not by a regex)."""
    parsed = _parse(sql)
    if parsed.get("error"):
        message = parsed.get("error_message", "")
        if "Only SELECT" in message:
            raise QueryRejected("Only SELECT queries are allowed; this one would change data.")
        raise QueryRejected(message)
    if len(parsed.get("statements", [])) != 1:
        raise QueryRejected(f"Write one SELECT statement; this text holds {len(parsed['statements'])}.")


def run_select(sql: str, views: dict[str, pa.Table], *, timeout_s: float = 30.0,
               max_rows: int | None = None) -> pa.Table:
    statement_check(sql)
    with duckdb.connect(":memory:", config=_CONFIG) as sandbox:
        for name, table in views.items():
            sandbox.register(name, table)
        sandbox.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout_s, sandbox.interrupt)
        timer.start()
        try:
            relation = sandbox.sql(sql)
            if max_rows is not None:
                relation = relation.limit(max_rows)
            return relation.to_arrow_table()
        except duckdb.InterruptException:
            raise QueryRejected(f"The query ran longer than {timeout_s:g} s and was stopped.") from None
        except duckdb.Error as error:
            raise QueryRejected(str(error).split("\n")[0]) from None
        finally:
            timer.cancel()
