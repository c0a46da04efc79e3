"""The values drift reads from each prediction-log segment, parsed once and kept as typed Parquet.

The log holds a row's inputs as JSON text, and parsing it is most of what a drift query costs
(about 1 µs a row per core with DuckDB's parser, however the keys are read). Segments never
change once written, so each segment's answered rows (``role = 'answer'``, ``status < 400``) are
parsed once into a *columns file* beside it: ``"time"``, ``version_id`` and one column per value
asked for (``v0``, ``v1``, …): a DOUBLE for a numeric column (NULL when the logged value is not
a finite number), the logged text for a categorical one, exactly the values the drift query
computes from the JSON (``drift_log.value_sql``), so statistics read from a columns file are the
ones read from the log, to the bit.

A columns file is named after its segment, the segment's size and mtime (a replaced segment gets
a new file) and a hash of the values asked for (a new reference with other columns gets its
own). Files whose segment is gone (retention, a torn file left out) are deleted on the next call,
so a cache never keeps rows the log no longer has for longer than one refresh. Writes go to a
temporary name and are renamed, so a reader never sees half a file.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import duckdb

SUFFIX = ".columns.parquet"


def _name(segment: Path, spec: str) -> str:
    stat = segment.stat()
    return f"{segment.stem}.{stat.st_size}-{stat.st_mtime_ns}.{spec}{SUFFIX}"


def spec_hash(expressions: Sequence[str]) -> str:
    """A short hash of the value expressions a columns file holds (their SQL, in order)."""
    return hashlib.sha256("\x1f".join(expressions).encode()).hexdigest()[:12]


def columns_files(files: Sequence[Path], cache: Path, *, select: str, expressions: Sequence[str],
                  params: Sequence, threads: int | None = None) -> list[Path]:
    """The columns file of each segment in ``files`` (same order; segments that vanished meanwhile
    left out), writing those missing first. ``select`` is the inner SELECT list over a segment's
    columns (the JSON read, with ``params``); ``expressions`` the value of each ``v<i>`` over it.
    Segments must share one folder (the columns files of segments gone from it are deleted)."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    spec = spec_hash([select, *expressions, repr(list(params))])
    wanted = {}
    for segment in files:
        try:
            wanted[Path(segment)] = cache / _name(Path(segment), spec)
        except FileNotFoundError:  # removed by retention meanwhile
            continue
    missing = [segment for segment, target in wanted.items() if not target.exists()]
    if missing:
        _write(missing, {s: wanted[s] for s in missing}, select=select, expressions=expressions, params=params,
               threads=threads)
    if files:
        _prune(cache, set(wanted.values()), Path(files[0]).parent)
    return [wanted[Path(s)] for s in files if Path(s) in wanted]


def _write(segments: Sequence[Path], targets: dict[Path, Path], *, select: str, expressions: Sequence[str],
           params: Sequence, threads: int | None) -> None:
    """One ``COPY`` per segment (DuckDB parses and writes; no rows pass through Python), spread
    over ``threads`` cursors: a segment is one row group, which one DuckDB thread reads."""
    values = "".join(f", {expression} AS v{i}" for i, expression in enumerate(expressions))
    connection = duckdb.connect()
    workers = max(1, int(threads or os.cpu_count() or 1))
    connection.execute("SET threads = 1")

    def copy(segment: Path) -> None:
        target = targets[segment]
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        source = "'" + str(segment).replace("'", "''") + "'"
        cursor = connection.cursor()
        try:
            cursor.execute(f"""
                COPY (SELECT "time", version_id{values}
                      FROM (SELECT "time", version_id, {select} FROM read_parquet([{source}], union_by_name = true)
                            WHERE role = 'answer' AND status < 400))
                TO '{str(temporary).replace("'", "''")}' (FORMAT parquet, COMPRESSION zstd)""", list(params))
            os.replace(temporary, target)
        finally:
            cursor.close()
            temporary.unlink(missing_ok=True)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(copy, segments))
    finally:
        connection.close()


def forget(cache: Path, segment_stems: Sequence[str]) -> int:
    """Delete every columns file of the segments named (their stems): what retention calls when
    it deletes segments, so no parsed copy outlives its rows. Returns how many files went."""
    gone, stems = 0, set(segment_stems)
    for path in Path(cache).glob(f"*{SUFFIX}"):
        try:
            stem = _parts(path.name)[0]
        except ValueError:
            continue
        if stem in stems:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def _parts(name: str) -> tuple[str, str, str]:
    """(segment stem, size-mtime, spec) of a columns file's name."""
    stem, stamp, spec = name[:-len(SUFFIX)].rsplit(".", 2)
    return stem, stamp, spec


def _prune(cache: Path, keep: set[Path], folder: Path) -> None:
    """Delete the columns files whose segment in ``folder`` is gone or was replaced (other specs
    of a segment still in the log are kept: another version's columns)."""
    for path in cache.glob(f"*{SUFFIX}"):
        if path in keep:
            continue
        try:
            stem, stamp, _ = _parts(path.name)
            stat = (folder / f"{stem}.parquet").stat()
            if stamp == f"{stat.st_size}-{stat.st_mtime_ns}":
                continue
        except (ValueError, FileNotFoundError):
            pass
        try:
            path.unlink()
        except FileNotFoundError:
            pass
