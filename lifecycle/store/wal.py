"""DuckDB's write-ahead log (``<workspace>.wal``): checked before DuckDB replays it, kept when damaged.

DuckDB appends every committed transaction to the log and folds the log into the database file at a
checkpoint (and on a clean close). After a crash the log holds the commits since the last checkpoint,
and opening the file replays them. Measured with duckdb 2.0.1 (``tests/unit/test_wal_damage.py``):

- a byte changed inside an entry: DuckDB refuses to open ("Corrupt WAL file: entry at byte position N
  ... checksum does not match") and leaves both files as they were;
- the log cut short: DuckDB opens, replays the complete entries, and silently drops the rest, commits
  included (truncating 37 bytes of a 5-commit log lost the last commit; half of it, three);
- a damaged header: DuckDB opens and ignores the whole log, every commit in it lost.

So the log's framing is checked here first (a header, then entries of ``[u64 size][u64 checksum]
[payload]`` that must end exactly at the end of the file), and a log DuckDB refuses is caught as well.
A damaged log is copied beside itself (``<workspace>.wal.damaged-<UTC time>``, the database file too)
before anything else touches it, and the workspace is not opened: :func:`repair` (``python -m lifecycle
workspace recover``) does that explicitly, keeping every complete entry before the damage.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lifecycle.hashing import sha256_file

_FRAME = struct.Struct("<QQ")  # entry size, checksum
_END = 0xFFFF  # the serializer's end-of-object field id
_HEADER_VARINT_FIELDS = {100, 101, 103}  # entry type (WAL_VERSION), log version, checkpoint iteration
_HEADER_LIST_FIELDS = {102}  # the database's identifier: a count, then that many varints
_CORRUPT_AT = re.compile(r"entry at byte position (\d+)")


def wal_path(database: Path) -> Path:
    return Path(f"{database}.wal")


@dataclass(frozen=True, kw_only=True)
class WalDamage:
    """What is wrong with a workspace's write-ahead log, and where its good part ends."""

    path: Path
    size: int
    good_bytes: int  # the log up to here is whole (0 when even its header is unreadable)
    what: str  # in words: "it ends in the middle of an entry", "its header is unreadable", ...

    @property
    def lost_bytes(self) -> int:
        return self.size - self.good_bytes


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """(value, where the next field starts) of the unsigned LEB128 number at ``at``."""
    shift = value = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("varint runs past the header")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _header_end(data: bytes) -> int:
    """Where the log's header (DuckDB's serialized WAL_VERSION entry) ends; ValueError if it is not one."""
    at, seen = 0, set()
    while True:
        if at + 2 > len(data):
            raise ValueError("header cut short")
        field = int.from_bytes(data[at:at + 2], "little")
        at += 2
        if field == _END:
            break
        if field in _HEADER_VARINT_FIELDS:
            _, at = _varint(data, at)
        elif field in _HEADER_LIST_FIELDS:
            count, at = _varint(data, at)
            for _ in range(count):
                _, at = _varint(data, at)
        else:
            raise ValueError(f"unknown header field {field}")
        seen.add(field)
    if not {100, 101} <= seen or data[2] != 98:  # 98: WAL_VERSION
        raise ValueError("not a write-ahead log header")
    return at


def check(database: Path) -> WalDamage | None:
    """The damage in ``database``'s write-ahead log that DuckDB would replay silently in part, or None
    when there is no log, an empty one, or one whose entries end exactly at its end. (A changed byte
    inside an entry passes here: DuckDB's own checksum refuses it, see :func:`damage_from_error`.)"""
    path = wal_path(database)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    with path.open("rb") as log:
        head = log.read(4096)
        try:
            at = _header_end(head)
        except ValueError:
            return WalDamage(path=path, size=size, good_bytes=0,
                             what="its header is unreadable, so DuckDB would ignore every change in it")
        while at < size:
            log.seek(at)
            frame = log.read(_FRAME.size)
            if len(frame) < _FRAME.size:
                break
            length, _checksum = _FRAME.unpack(frame)
            if at + _FRAME.size + length > size:
                break
            at += _FRAME.size + length
    if at == size:
        return None
    return WalDamage(path=path, size=size, good_bytes=at,
                     what=f"it ends in the middle of an entry at byte {at:,}, so DuckDB would drop that entry "
                          "and whatever it belonged to")


def damage_from_error(database: Path, error: Exception) -> WalDamage | None:
    """The damage DuckDB named when it refused to replay the log (a checksum that does not match)."""
    text = str(error)
    if "WAL" not in text or ("Corrupt" not in text and "replaying" not in text):
        return None
    path = wal_path(database)
    size = path.stat().st_size if path.exists() else 0
    found = _CORRUPT_AT.search(text)
    good = min(int(found.group(1)), size) if found else 0
    return WalDamage(path=path, size=size, good_bytes=good,
                     what=f"the entry at byte {good:,} does not match its checksum, so DuckDB refuses to replay it")


def keep_copies(database: Path) -> tuple[Path, ...]:
    """Copy the log and the database file beside themselves, named ``...damaged-<UTC time>``, unless an
    identical copy of the log is already there (an app rerun does not copy it again). Returns the copies."""
    log = wal_path(database)
    digest = sha256_file(log) if log.exists() else None
    for earlier in sorted(log.parent.glob(f"{log.name}.damaged-*")):
        if digest is not None and sha256_file(earlier) == digest:
            stamp = earlier.name.rsplit("damaged-", 1)[1]
            twin = database.parent / f"{database.name}.damaged-{stamp}"
            return (earlier, twin) if twin.exists() else (earlier,)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    copies = []
    for source in (log, database):
        if source.exists():
            target = source.parent / f"{source.name}.damaged-{stamp}"
            shutil.copy2(source, target)
            copies.append(target)
    return tuple(copies)


def cut(damage: WalDamage) -> None:
    """Keep only the whole part of the log (nothing, when its header is unreadable). Call it only after
    :func:`keep_copies`, and only when a person asked for it (``workspace recover``)."""
    if damage.good_bytes <= 0:
        damage.path.unlink(missing_ok=True)
        return
    with damage.path.open("r+b") as log:
        log.truncate(damage.good_bytes)
        log.flush()
        os.fsync(log.fileno())


def held_by_another_process(database: Path) -> bool:
    """Whether another process holds ``database`` open for writing (DuckDB's POSIX lock on it). Only ask
    while this process has no DuckDB connection to the file: closing the probe's descriptor releases
    every lock this process holds on it."""
    import fcntl

    try:
        descriptor = os.open(database, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)
