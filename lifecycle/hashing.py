"""Content hashes used across the spine (leaf module: imports nothing of ours).

Every content hash is a SHA-256 hex digest: of bytes, of UTF-8 text, of canonical JSON, or
of a file's bytes. Workspaces store these digests, so what each helper hashes never changes.
"""
from __future__ import annotations

import hashlib
import json
import queue
import threading
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
_FILE_CHUNK = 1 << 24


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``."""
    return sha256_bytes(text.encode())


def sha256_json(value: Any) -> str:
    """SHA-256 of :func:`canonical_json` of ``value`` (key order and spacing do not matter)."""
    return sha256_text(canonical_json(value))


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (a large file is never held in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_FILE_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BackgroundSha256:
    """SHA-256 computed on a second thread while the caller goes on working (hashlib releases
    the GIL). Feed it with :meth:`update`; :meth:`hexdigest` waits for the rest and stops the
    thread, so call it once, also on failure (e.g. in ``finally``). Each chunk must stay
    unchanged until then; a memoryview of it keeps its buffer alive."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._chunks: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._hash_chunks, daemon=True)
        self._thread.start()

    def _hash_chunks(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk) -> None:
        self._chunks.put(memoryview(chunk))

    def hexdigest(self) -> str:
        self._chunks.put(None)
        self._thread.join()
        return self._digest.hexdigest()


def audit_event_hash(
    *, seq: int, at: str, actor: str, action: str, entity: str, details: dict[str, Any], prev_hash: str
) -> str:
    return sha256_json({"seq": seq, "at": at, "actor": actor, "action": action, "entity": entity,
                        "details": details, "prev_hash": prev_hash})
