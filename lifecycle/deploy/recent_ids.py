"""The request ids a scoring service answered lately, so ``/feedback`` can tell a client at once
which ids it does not know.

A bounded set (oldest forgotten first) of the ids this process answered, seeded at start from the
newest segments of the prediction log it writes to (their ``request_id`` column only), so a restart
keeps recent ids. It is a hint for the client, not the rule: the feedback is recorded either way and
the Monitor stage's join decides what counts. Ids older than the last ``capacity`` requests, or
answered by another replica writing elsewhere, read as unknown here.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

CAPACITY = 100_000
MAX_SEGMENTS = 2_000  # newest segments read at start: a quiet service writes many small ones


class RecentIds:
    """At most ``capacity`` request ids, oldest forgotten first; thread-safe."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = max(1, int(capacity))
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, request_id: str) -> None:
        with self._lock:
            self._ids[request_id] = None
            self._ids.move_to_end(request_id)
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)

    def unknown(self, request_ids) -> list[str]:
        """The ids among ``request_ids`` not held, in their order, each once."""
        with self._lock:
            return list(dict.fromkeys(i for i in request_ids if i not in self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def seed(self, predictions_folder: Path | None) -> int:
        """Add the answered ids of the newest whole segments in ``predictions_folder`` (up to
        ``capacity`` ids from at most ``MAX_SEGMENTS`` segments, oldest first); unreadable segments
        are skipped. Returns how many were added."""
        if predictions_folder is None or not Path(predictions_folder).is_dir():
            return 0
        chunks, total = [], 0
        for path in sorted(Path(predictions_folder).glob("*.parquet"), reverse=True)[:MAX_SEGMENTS]:
            try:
                table = pq.read_table(path, columns=["request_id", "status"])
            except Exception:  # a torn segment: the log reader names it; a hint can do without it
                continue
            ids = table.filter(pc.less(table["status"], 400))["request_id"].to_pylist()
            chunks.append(ids)
            total += len(ids)
            if total >= self.capacity:
                break
        for ids in reversed(chunks):
            for request_id in ids:
                if request_id is not None:
                    self.add(request_id)
        return min(total, len(self))
