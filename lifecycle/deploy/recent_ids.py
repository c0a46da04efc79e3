"""The request ids a scoring service answered lately, so ``/feedback`` can tell a client at once
which ids it does not know.

A bounded set (oldest forgotten first) of the ids this process answered, seeded at start from the
newest segments of the prediction log it writes to (their ``request_id`` column only), so a restart
keeps recent ids. Replicas behind one load balancer share that log folder: when feedback names an
id this process does not hold, it first reads the segments that appeared in the folder since its
last look (written by the other replicas), so a label sent to replica B for a request replica A
answered is known once A's segment is written (``LIFECYCLE_LOG_FLUSH_SECONDS``, 2 s by default). It
is a hint for the client, not the rule: the feedback is recorded either way and the Monitor stage's
join decides what counts. Ids older than the last ``capacity`` requests, answered by a replica
writing elsewhere, or still in another replica's buffer read as unknown here.
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
        self._folder: Path | None = None  # the shared log folder, once seeded from it
        self._seen: set[str] = set()  # segment names in it already read (or passed over at seeding)
        self._reading = threading.Lock()  # one catch-up at a time

    def add(self, request_id: str) -> None:
        with self._lock:
            self._ids[request_id] = None
            self._ids.move_to_end(request_id)
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)

    def unknown(self, request_ids) -> list[str]:
        """The ids among ``request_ids`` not held, in their order, each once; before answering that
        some are not held, the segments new in the seeded folder are read (``catch_up``)."""
        wanted = list(request_ids)
        with self._lock:
            missing = list(dict.fromkeys(i for i in wanted if i not in self._ids))
        if missing and self._folder is not None and self.catch_up():
            with self._lock:
                missing = [i for i in missing if i not in self._ids]
        return missing

    def catch_up(self) -> int:
        """Add the answered ids of every segment that appeared in the seeded folder since the last
        look (oldest first; another replica's, or this process's own); unreadable ones are passed
        over. Returns how many segments were read."""
        if self._folder is None:
            return 0
        with self._reading:
            present = {p.name for p in self._folder.glob("*.parquet")}
            new = sorted(present - self._seen)
            for name in new:
                for request_id in _answered(self._folder / name):
                    self.add(request_id)
            self._seen = present  # names retention removed are forgotten too
            return len(new)

    def __len__(self) -> int:
        return len(self._ids)

    def seed(self, predictions_folder: Path | None) -> int:
        """Add the answered ids of the newest whole segments in ``predictions_folder`` (up to
        ``capacity`` ids from at most ``MAX_SEGMENTS`` segments, oldest first); unreadable segments
        are skipped. Returns how many were added."""
        if predictions_folder is None:
            return 0
        self._folder = Path(predictions_folder)
        if not self._folder.is_dir():
            return 0
        chunks, total = [], 0
        present = sorted(self._folder.glob("*.parquet"), reverse=True)
        self._seen.update(p.name for p in present)  # older ones than those read are older than capacity
        for path in present[:MAX_SEGMENTS]:
            ids = _answered(path)
            chunks.append(ids)
            total += len(ids)
            if total >= self.capacity:
                break
        for ids in reversed(chunks):
            for request_id in ids:
                if request_id is not None:
                    self.add(request_id)
        return min(total, len(self))


def _answered(path: Path) -> list[str]:
    """The request ids a segment answered (status below 400); [] for a torn segment (the log
    reader names it; a hint can do without it)."""
    try:
        table = pq.read_table(path, columns=["request_id", "status"])
    except Exception:
        return []
    return [i for i in table.filter(pc.less(table["status"], 400))["request_id"].to_pylist() if i is not None]
