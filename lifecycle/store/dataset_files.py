"""Frozen dataset contents: Arrow IPC files named by the SHA-256 of their bytes.

An uncompressed Arrow file is written at memory speed and read back memory-mapped, so
DuckDB scans it without a copy. Writing goes to a temporary name and is renamed into place
only once complete, so a failed ingest leaves nothing half-written.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from lifecycle.hashing import BackgroundSha256

_BATCH_ROWS = 128 * 1024


class _HashingSink:
    """A writable file object that hashes every byte it passes on.

    Hashing runs on a second thread (:class:`~lifecycle.hashing.BackgroundSha256`), overlapping
    with the writes; each chunk's memoryview keeps its buffer alive until it has been hashed.
    """

    def __init__(self, raw):
        self._raw = raw
        self._hasher = BackgroundSha256()
        self.closed = False

    def write(self, data) -> int:
        view = memoryview(data)
        self._hasher.update(view)
        return self._raw.write(view)

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._raw.tell()


def write_table(table: pa.Table, directory: Path) -> tuple[Path, str]:
    """Write ``table`` under ``directory``; return its final path and content hash."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    try:
        with os.fdopen(fd, "wb", buffering=0) as raw:
            sink = _HashingSink(raw)
            try:
                with ipc.new_file(pa.PythonFile(sink, mode="w"), table.schema) as writer:
                    writer.write_table(table, max_chunksize=_BATCH_ROWS)
            finally:
                content_hash = sink.hexdigest()  # also stops the hashing thread on failure
        final = directory / f"{content_hash}.arrow"
        if final.exists():  # the same content is already frozen; keep the file on record
            Path(temporary).unlink()
        else:
            os.replace(temporary, final)
        return final, content_hash
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_table(path: Path) -> pa.Table:
    """Memory-map a frozen dataset (zero-copy)."""
    return ipc.open_file(pa.memory_map(str(path), "r")).read_all()
