"""A consistent copy of a workspace's DuckDB file, taken while it is open here or in another process.

DuckDB lets one process hold the file (the app, usually); no other process may open it, even
read-only. So a copy is taken in one of two ways:

- **here** (:func:`copy_here`): this process holds the file; under the database's write lock (no
  write can start) a ``CHECKPOINT`` folds the write-ahead log in, and the file (and any log left)
  is copied byte for byte;
- **beside another process** (:func:`copy_beside`): the files are copied without DuckDB. DuckDB
  changes its database file's blocks in use only at a checkpoint, which ends by rewriting the
  file's headers (its first 12 KiB) and only then truncates the log; commits in between append to
  the log (a bulk insert first writes its row groups into free blocks of the file, then logs them).
  So the copy reads the headers, copies the log, then the file, then reads the headers again; if
  they changed a checkpoint ran meanwhile, and the copy is taken again. The log copied first names
  only blocks already written; a log entry cut short at its end is a commit still being written,
  not yet made, and is left out.

Either copy is then settled by :func:`settle` (the log replayed and folded in by a checkpoint, one
file) and read whole by :func:`read_every_table` (DuckDB checks every block's checksum on reading).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import duckdb

from lifecycle.store import wal
from lifecycle.store.db import Database, quote_identifier

HEADERS = 3 * 4096  # DuckDB's main header and its two alternating database headers
ATTEMPTS = 20


class SnapshotUnstable(Exception):
    """Every attempt overlapped a checkpoint of the process holding the file."""


def copy_here(database: Database, target: Path) -> None:
    """Copy ``database`` (held by this process) to ``target`` at one instant: writes wait meanwhile."""
    with database.transaction_lock():
        database.cursor().execute("CHECKPOINT")
        shutil.copyfile(database.path, target)
        log = wal.wal_path(database.path)
        if log.exists() and log.stat().st_size:
            shutil.copyfile(log, wal.wal_path(target))


def _headers(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(HEADERS)


def copy_beside(path: Path, target: Path, *, pause: Callable[[int], None] = lambda attempt: time.sleep(0.05 * attempt)) -> int:
    """Copy the DuckDB file ``path`` (and its log) that another process holds to ``target``; returns how
    many attempts it took. Raises SnapshotUnstable after ``ATTEMPTS`` overlapped a checkpoint."""
    log, target_log = wal.wal_path(path), wal.wal_path(target)
    for attempt in range(1, ATTEMPTS + 1):
        before = _headers(path)
        target_log.unlink(missing_ok=True)
        try:
            shutil.copyfile(log, target_log)
        except FileNotFoundError:
            pass
        shutil.copyfile(path, target)
        if _headers(path) == before:
            return attempt
        pause(attempt)
    raise SnapshotUnstable(f"{path} was checkpointed during each of {ATTEMPTS} copies")


def settle(target: Path) -> None:
    """Fold ``target``'s copied log into it: an entry cut short at the log's end (a commit being written
    as the log was copied) is left out, the rest replayed and checkpointed, leaving one file."""
    damage = wal.check(target)
    if damage is not None:
        wal.cut(damage)
    connection = duckdb.connect(str(target))
    try:
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    wal.wal_path(target).unlink(missing_ok=True)


def read_every_table(cursor: duckdb.DuckDBPyConnection) -> int:
    """Read every row of every table (DuckDB verifies each block's checksum as it reads); returns the rows."""
    tables = cursor.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                            "WHERE database_name = current_database() ORDER BY 1, 2").fetchall()
    rows = 0
    for schema, table in tables:
        reader = cursor.sql(f"SELECT * FROM {quote_identifier(schema)}.{quote_identifier(table)}") \
            .to_arrow_reader(65536)
        for batch in reader:
            rows += batch.num_rows
    return rows
