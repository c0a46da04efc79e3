"""A small in-process batcher: concurrent requests to one model version are scored together.

Most of a single-row prediction's cost is per call (pandas and the pipeline's per-call
overhead), not per row, so scoring 32 waiting rows in one call costs little more than scoring
one. Each version has one scoring thread. Requests queue their rows; when the thread is free,
the worker takes what is queued (up to ``max_rows`` rows) after letting the event loop read the
requests already arriving, waiting at most ``max_wait_s`` for more. A lone request is scored at
once (no fixed delay); under load, batches form by themselves while the thread is busy.
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence


class Batcher:
    """Collects rows from concurrent requests and scores them with ``score(rows) -> list`` (one
    result per row) on a single thread; ``submit`` returns the results of its own rows."""

    def __init__(self, score: Callable[[list[Any]], Sequence[Any]], *, max_rows: int = 64,
                 max_wait_s: float = 0.002, name: str = "scorer"):
        self._score = score
        self.max_rows = max(1, int(max_rows))
        self.max_wait_s = max(0.0, float(max_wait_s))
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._queue: list[tuple[list[Any], asyncio.Future]] = []
        self._queued_rows = 0
        self._ready: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self.batches = 0
        self.rows = 0

    async def submit(self, rows: list[Any]) -> list[Any]:
        """Score ``rows`` (with whatever else is waiting); raises what scoring raised."""
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done():
            self._ready = asyncio.Event()
            self._worker = loop.create_task(self._run())
        future = loop.create_future()
        self._queue.append((rows, future))
        self._queued_rows += len(rows)
        self._ready.set()
        return await future

    async def run_alone(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` on this version's scoring thread (a large batch, scored by itself)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._ready.wait()
            # Let requests that are already readable reach the queue, for at most max_wait_s,
            # and stop as soon as a turn of the loop brings nothing new.
            deadline = time.perf_counter() + self.max_wait_s
            seen = self._queued_rows
            while self._queued_rows < self.max_rows and time.perf_counter() < deadline:
                await asyncio.sleep(0)
                if self._queued_rows == seen:
                    break
                seen = self._queued_rows
            taken, count = [], 0
            while self._queue and (not taken or count + len(self._queue[0][0]) <= self.max_rows):
                item = self._queue.pop(0)
                taken.append(item)
                count += len(item[0])
            self._queued_rows -= count
            if not self._queue:
                self._ready.clear()
            rows = [row for item, _ in taken for row in item]
            try:
                results = await loop.run_in_executor(self.executor, self._score, rows)
            except BaseException as error:  # noqa: BLE001 - handed to every waiting request
                for _, future in taken:
                    if not future.done():
                        future.set_exception(error if isinstance(error, Exception) else RuntimeError(str(error)))
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            self.batches += 1
            self.rows += len(rows)
            start = 0
            for item, future in taken:
                if not future.done():
                    future.set_result(results[start:start + len(item)])
                start += len(item)
