"""Cached dataset profiles: one JSON report per dataset version."""
from __future__ import annotations

import duckdb

from lifecycle.clock import utc_now


def get(cursor: duckdb.DuckDBPyConnection, dataset_id: int) -> str | None:
    rows = cursor.execute("SELECT report FROM profiles WHERE dataset_id = ?", [dataset_id]).fetchall()
    return rows[0][0] if rows else None


def put(cursor: duckdb.DuckDBPyConnection, dataset_id: int, report_json: str) -> None:
    cursor.execute("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
                   [dataset_id, report_json, utc_now()])
