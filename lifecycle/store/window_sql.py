"""The SQL side of ``lifecycle.monitor.windows``: the same epoch-aligned buckets, in DuckDB."""
from __future__ import annotations


def bucket_sql(column: str, size_seconds: int) -> str:
    """The DuckDB expression for the start of the window holding ``column`` (an identifier the
    caller controls, never user text): ``time_bucket`` with origin 1970-01-01, the rule of
    ``monitor.windows.window_of``."""
    return (f"time_bucket(INTERVAL '{int(size_seconds)} seconds', {column}, "
            f"TIMESTAMP '1970-01-01 00:00:00')")
