"""The span of each prediction-log or feedback segment: its rows and the time of its newest row, read
with DuckDB over the whole segments of a folder (torn ones are left out, as every log reader does)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from lifecycle.store.prediction_log import segments


@dataclass(frozen=True, kw_only=True)
class SegmentSpan:
    """One whole segment: its file, size on disk, row count and the newest row's time (UTC)."""

    path: Path
    bytes: int
    rows: int
    newest: datetime | None  # None when the segment holds no row with a time


@dataclass(frozen=True, kw_only=True)
class FolderSpans:
    spans: tuple[SegmentSpan, ...]  # in name order, which is the order they were written
    skipped: tuple[tuple[str, str], ...]  # torn segments (file name, why), which are kept


def segment_spans(folder: Path) -> FolderSpans:
    """Rows and newest time of each whole segment in ``folder`` (one scan over all of them)."""
    found = segments(folder)
    if not found.files:
        return FolderSpans(spans=(), skipped=found.skipped)
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in found.files)
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            f'SELECT filename, count(*), max("time") FROM read_parquet([{listed}], union_by_name = true, '
            "filename = true) GROUP BY filename").fetchall()
    finally:
        connection.close()
    by_name = {str(Path(name)): (count, newest) for name, count, newest in rows}
    spans = []
    for path in found.files:
        count, newest = by_name.get(str(path), (0, None))
        spans.append(SegmentSpan(path=path, bytes=path.stat().st_size, rows=int(count), newest=newest))
    return FolderSpans(spans=tuple(spans), skipped=found.skipped)
