"""Workspace-wide key/value settings (demo flag, retention, ...)."""
from __future__ import annotations

import duckdb


def get(cursor: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = cursor.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def put(cursor: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    cursor.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])
