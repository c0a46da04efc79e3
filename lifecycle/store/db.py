"""The DuckDB handle: one connection per process, one cursor per thread.

DuckDB lets a single process hold a database file for writing. Streamlit serves every
session from one process, so the app opens the workspace once and each thread works on its
own cursor. Writes are serialised by a process-wide lock so that the audit chain, which
reads the last hash before appending, never forks.

Concurrent writers, and what each gets:

- threads of this process: they queue on the write lock, so two ``transaction()`` blocks never
  overlap. A DuckDB write-write conflict (``TransactionException: Conflict on ...``) can still come
  from a connection that bypasses the lock (a second ``duckdb.connect`` on the file in this
  process): the transaction is rolled back and :class:`WriteConflict` says so plainly; nothing is
  swallowed. :meth:`Database.retrying` re-runs a whole unit of work a few times, with backoff,
  where doing it again is safe.
- another process (the CLI beside the app): DuckDB's file lock lets one process write. Opening
  waits briefly for the lock (a CLI command in flight ends within seconds), then raises
  :class:`WorkspaceLocked` naming the holder and what to do.
"""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import duckdb

from lifecycle.errors import WorkspaceDamaged, WorkspaceLocked, WriteConflict
from lifecycle.store import wal
from lifecycle.store.migrations import migrate

_LOCK_PATTERN = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")
T = TypeVar("T")

LOCK_WAIT_SECONDS = 3.0  # how long opening waits for another process to let go of the file
RETRY_ATTEMPTS = 4  # Database.retrying: tries of one unit of work before its WriteConflict is raised
RETRY_BACKOFF_SECONDS = 0.05  # first pause between tries; doubled each time


def _describe_process(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"process {pid}"
    # One line: an argument may itself hold newlines (python -c "...").
    command = " ".join(" ".join(part.decode(errors="replace").split()) for part in raw.split(b"\0") if part)
    return f"process {pid} ({command[:160]})"


def _locked_error(path: Path, error: duckdb.Error, waited: float) -> WorkspaceLocked:
    match = _LOCK_PATTERN.search(str(error))
    holder = _describe_process(int(match["pid"])) if match else "another process"
    if "streamlit" in holder:
        holder = "the Lifecycle app, " + holder
    return WorkspaceLocked(
        f"The workspace {path} is held for writing by {holder}; DuckDB allows one process at a time "
        f"(waited {waited:.0f} s for it to let go).",
        "Stop that process (for the app: Ctrl+C in its terminal) and run the command again, "
        "do the work in the running app, or point --workspace at a copy of the file.",
    )


def _is_lock_error(error: duckdb.Error) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _connect(path: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to ``wait`` seconds (backoff 0.05 s doubling to 0.5 s) while another
    process holds its lock. Raises WorkspaceLocked after that."""
    start = time.monotonic()
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            waited = time.monotonic() - start
            if waited + pause > wait:
                raise _locked_error(path, error, waited) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _is_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


def _conflict_error(error: duckdb.Error) -> WriteConflict:
    return WriteConflict(
        "Another change to the same records was saved at the same moment, so this one was not saved "
        f"(nothing of it was written; DuckDB: {' '.join(str(error).split())}).",
        "Reload the page (or run the command again) and repeat the change on what is there now.")


def _damaged_error(path: Path, damage: wal.WalDamage, copies: tuple[Path, ...]) -> WorkspaceDamaged:
    kept = " and ".join(str(c) for c in copies)
    return WorkspaceDamaged(
        f"The workspace's write-ahead log {damage.path} is damaged: {damage.what} ({damage.lost_bytes:,} of its "
        f"{damage.size:,} bytes cannot be replayed). The log holds the changes saved since the last checkpoint; "
        f"opening the workspace now would lose them without a word, so it was not opened. Copies are kept: {kept}.",
        f"Run `python -m lifecycle --workspace {path} workspace recover` to open it with every change before the "
        "damage (the copies stay for a specialist), or restore a backup with `workspace restore DIR`.",
    )


def restore_journal(path: Path) -> Path:
    """The file ``workspace restore`` keeps beside a workspace while it swaps a backup in (``lifecycle.backup``)."""
    return Path(path).parent / f"{Path(path).name}.restoring.json"


def _interrupted_restore(path: Path) -> WorkspaceDamaged:
    return WorkspaceDamaged(
        f"A restore into {path} was interrupted ({restore_journal(path)} is still there): the workspace may be "
        "half replaced, so it was not opened.",
        f"Run `python -m lifecycle --workspace {path} workspace restore DIR --force` again with the same backup; "
        "what it was replacing is kept beside it as `<name>.replaced-<time>`.")


class Database:
    """A workspace file opened for this process.

    A damaged write-ahead log (``store.wal``) stops the open with :class:`WorkspaceDamaged`, after copying
    the log and the file; ``recover=True`` (``workspace recover``) keeps the copies, cuts the log back to
    its whole part and opens, listing what it did in ``recovered``."""

    def __init__(self, path: Path | str, *, recover: bool = False, lock_wait: float = LOCK_WAIT_SECONDS):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if restore_journal(self.path).exists():
            raise _interrupted_restore(self.path)
        self.recovered: list[tuple[wal.WalDamage, tuple[Path, ...]]] = []
        for _attempt in range(4):
            damage = wal.check(self.path)
            if damage is not None and not wal.held_by_another_process(self.path):
                self._damaged(damage, recover)
                continue
            try:
                self._connection = _connect(self.path, lock_wait)
                break
            except duckdb.Error as error:
                damage = wal.damage_from_error(self.path, error)
                if damage is None:
                    raise
                self._damaged(damage, recover)
        else:
            raise WorkspaceDamaged(f"The workspace {self.path} could not be opened after cutting its write-ahead log "
                                   f"back {len(self.recovered)} times.", "Restore a backup with `workspace restore DIR`.")
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self.transaction() as cursor:
            migrate(cursor)

    def _damaged(self, damage: wal.WalDamage, recover: bool) -> None:
        copies = wal.keep_copies(self.path)  # before anything else touches the damaged files
        if not recover:
            raise _damaged_error(self.path, damage, copies) from None
        wal.cut(damage)
        self.recovered.append((damage, copies))

    # -- cursors -----------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All writes inside commit together or not at all.

        Raises WriteConflict (after rolling back) when DuckDB reports a write-write conflict, at a
        statement or at the commit; every other error is re-raised as it came, after the rollback."""
        with self._write_lock:
            cursor = self.cursor()
            depth = getattr(self._local, "depth", 0)
            if depth:
                # Nested use joins the outer transaction.
                self._local.depth = depth + 1
                try:
                    yield cursor
                finally:
                    self._local.depth = depth
                return
            cursor.execute("BEGIN TRANSACTION")
            self._local.depth = 1
            try:
                yield cursor
            except BaseException as error:
                _rollback(cursor)
                if _is_conflict(error):
                    raise _conflict_error(error) from error
                raise
            else:
                try:
                    cursor.execute("COMMIT")
                except duckdb.Error as error:
                    _rollback(cursor)  # a failed commit has ended the transaction already; make sure
                    if _is_conflict(error):
                        raise _conflict_error(error) from error
                    raise
            finally:
                self._local.depth = 0

    @contextmanager
    def transaction_lock(self) -> Iterator[None]:
        """Hold the write lock without a transaction: no write starts in this process meanwhile."""
        with self._write_lock:
            yield

    def retrying(self, work: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = RETRY_ATTEMPTS,
                 backoff: float = RETRY_BACKOFF_SECONDS) -> T:
        """Run ``work(cursor)`` in a transaction; on a WriteConflict run it again in a fresh one, up to
        ``attempts`` tries with pauses of ``backoff`` seconds doubling each time, then raise the last
        WriteConflict. ``work`` must be safe to repeat (it reads what it needs inside the transaction).
        Inside an outer transaction it runs once: only the outermost block can be retried."""
        if getattr(self._local, "depth", 0):
            return work(self.cursor())
        pause = backoff
        for _ in range(attempts - 1):
            try:
                with self.transaction() as cursor:
                    return work(cursor)
            except WriteConflict:
                time.sleep(pause)
                pause *= 2
        with self.transaction() as cursor:  # the last try: its WriteConflict reaches the caller
            return work(cursor)

    # -- reads -------------------------------------------------------------------------
    def rows(self, sql: str, params: list[Any] | tuple = ()) -> list[dict[str, Any]]:
        cursor = self.cursor()
        result = cursor.execute(sql, list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]

    def one(self, sql: str, params: list[Any] | tuple = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: list[Any] | tuple = ()) -> Any:
        rows = self.cursor().execute(sql, list(params)).fetchall()  # fetchall: leave no pending result
        return rows[0][0] if rows else None

    def close(self) -> None:
        self._connection.close()


def _rollback(cursor: duckdb.DuckDBPyConnection) -> None:
    try:
        cursor.execute("ROLLBACK")
    except duckdb.TransactionException as error:
        if "no transaction is active" not in str(error):
            raise
        # DuckDB ended the transaction itself when the statement or the commit failed


_open: dict[Path, Database] = {}
_open_lock = threading.Lock()


def open_database(path: Path | str, *, recover: bool = False) -> Database:
    """The process-wide handle for a workspace file, opened on first use (``recover``: see ``Database``)."""
    key = Path(path).resolve()
    with _open_lock:
        database = _open.get(key)
        if database is None:
            database = Database(key, recover=recover)
            _open[key] = database
        return database


def is_open_here(path: Path | str) -> Database | None:
    """The handle this process holds on ``path``, or None."""
    with _open_lock:
        return _open.get(Path(path).resolve())


def close_database(path: Path | str) -> None:
    key = Path(path).resolve()
    with _open_lock:
        database = _open.pop(key, None)
    if database is not None:
        database.close()


def quote_identifier(name: str) -> str:
    """Quote a column name that came from user data, for use in SQL text."""
    if "\x00" in name:
        raise ValueError("column names may not contain NUL characters")
    return '"' + name.replace('"', '""') + '"'
