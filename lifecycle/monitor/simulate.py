"""Live traffic: held-out rows replayed through the real scoring service over HTTP, at a chosen rate,
with the drift a spec asks for, and true labels sent back to ``/feedback`` after a delay.

:func:`replay` posts batches of rows to ``POST /predict`` (``X-Request-Id: sim-<tag>-<n>``, see
``monitor.marks``), one batch every ``batch_rows / rate`` seconds, so the service logs them as it
logs any client's. A share of the answered rows is labelled: ``label_delay`` seconds after the
answer, their true labels go to ``POST /feedback`` (request id, row, label). Rows, drift and the
labelled rows are drawn from ``seed`` (``row_stream``); request ids carry a tag per run so two
runs never share one. ``progress`` is called after every batch; setting ``cancel`` stops after
the current batch (labels still waiting are dropped and counted).
"""
from __future__ import annotations

import http.client
import json
import math
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from lifecycle.clock import utc_now
from lifecycle.errors import InputError
from lifecycle.monitor.drift_spec import NO_DRIFT, DriftSpec
from lifecycle.monitor.marks import SIMULATED_PREFIX
from lifecycle.monitor.replay_rows import ReplayRows
from lifecycle.monitor.row_stream import RowStream
from lifecycle.progress import Progress, quiet

DEFAULT_LABEL_DELAY = 30.0  # seconds between an answer and its label, unless told otherwise
REQUESTS_PER_SECOND = 4.0  # the default batch size aims at this many requests a second
MAX_BATCH_ROWS = 1000


class ServiceUnreachable(InputError):
    """Nothing answers at the scoring service's address."""


@dataclass(frozen=True, kw_only=True)
class ReplaySummary:
    """What a replay sent and what came back."""

    url: str
    tag: str  # request ids are f"sim-{tag}-{n}"
    rows_sent: int
    rows_answered: int  # rows of requests the service answered with 200
    requests: int
    refused: int  # requests answered with another status
    drifted_rows: int
    labels_sent: int
    labels_pending: int  # labels not sent: the run was cancelled (or not waited for) before they were due
    labels_refused: int  # labels /feedback answered with an error
    cancelled: bool
    seconds: float
    first_refusal: str | None = None


class ServiceClient:
    """A keep-alive JSON client of one scoring service (``url`` like ``http://127.0.0.1:8765``)."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise InputError(f"{url!r} is not the address of a scoring service.", "Give it as http://HOST:PORT.")
        self.url = url.rstrip("/")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.token = token if token is not None else (os.environ.get("LIFECYCLE_SERVE_TOKEN") or None)
        self._connection: http.client.HTTPConnection | None = None

    def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST ``payload`` as JSON; (status, the decoded answer). Raises ServiceUnreachable when
        nothing answers (after one reconnect), InputError when the service asks for a token."""
        body = json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            try:
                connection = self._connect()
                connection.request("POST", path, body=body, headers=sent)
                response = connection.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2:
                    raise ServiceUnreachable(f"The scoring service at {self.url} does not answer ({error}).",
                                             "Check that it runs (the Deploy page, or `python -m lifecycle serve "
                                             "--project NAME`).") from None
        if response.status == 401:
            raise InputError(f"The scoring service at {self.url} asks for a bearer token.",
                             "Set LIFECYCLE_SERVE_TOKEN to the token it was started with.")
        try:
            return response.status, json.loads(raw or b"null")
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class LabelQueue:
    """Labels waiting for their time: each entry is (due, [{"request_id", "row", "label"}, ...]),
    ``due`` on the ``time.monotonic`` clock. Sent to ``/feedback`` in one request per due entry."""

    def __init__(self) -> None:
        self._waiting: deque[tuple[float, list[dict[str, Any]]]] = deque()
        self.sent = 0
        self.failed = 0

    def add(self, due: float, items: list[dict[str, Any]]) -> None:
        if items:
            self._waiting.append((due, items))

    @property
    def pending(self) -> int:
        return sum(len(items) for _, items in self._waiting)

    @property
    def next_due(self) -> float | None:
        return self._waiting[0][0] if self._waiting else None

    def send_due(self, client: ServiceClient, now: float | None = None) -> int:
        """Send every entry due by ``now``; returns the labels the service recorded."""
        now = time.monotonic() if now is None else now
        recorded = 0
        while self._waiting and self._waiting[0][0] <= now:
            _, items = self._waiting.popleft()
            status, answer = client.post("/feedback", items)
            if status == 200:
                recorded += len(items)
            else:
                self.failed += len(items)
        self.sent += recorded
        return recorded


def default_batch_rows(rate: float) -> int:
    """Rows per request for ``rate`` rows a second: about ``REQUESTS_PER_SECOND`` requests a second."""
    return max(1, min(MAX_BATCH_ROWS, int(math.ceil(rate / REQUESTS_PER_SECOND))))


def check_replay(*, n_rows: int | None, rate: float, label_delay: float, label_share: float,
                 batch_rows: int | None) -> None:
    """Refuse (InputError) settings a replay cannot run with, naming the option."""
    if n_rows is not None and n_rows < 1:
        raise InputError(f"--rows {n_rows} sends nothing.", "Give at least 1 row.")
    if not (rate > 0 and math.isfinite(rate)):
        raise InputError(f"--rate {rate:g} is not a rate.", "Give rows per second above 0, for example --rate 20.")
    if not (label_delay >= 0 and math.isfinite(label_delay)):
        raise InputError(f"--label-delay {label_delay:g} is not a delay.", "Give seconds, 0 or more.")
    if not 0.0 <= label_share <= 1.0:
        raise InputError(f"--label-share {label_share:g} is outside 0 to 1.", "Give a share, for example 0.8.")
    if batch_rows is not None and not 1 <= batch_rows <= MAX_BATCH_ROWS:
        raise InputError(f"--batch {batch_rows} is outside 1 to {MAX_BATCH_ROWS}.", "Give rows per request.")


def replay(url: str, rows: ReplayRows, *, n_rows: int | None, rate: float, drift: DriftSpec = NO_DRIFT,
           label_delay: float = DEFAULT_LABEL_DELAY, label_share: float = 1.0, batch_rows: int | None = None,
           seed: int = 0, tag: str | None = None, labels: LabelQueue | None = None, wait_for_labels: bool = True,
           progress: Progress = quiet, cancel: threading.Event | None = None,
           client: ServiceClient | None = None) -> ReplaySummary:
    """Send ``n_rows`` held-out rows (None: until ``cancel`` is set) to the service at ``url`` (or
    through ``client``, kept open) at ``rate`` rows a second in requests of ``batch_rows`` (default
    :func:`default_batch_rows`), with ``drift`` applied to the rows it covers, and labels for a
    ``label_share`` of the answered rows ``label_delay`` seconds after their answer. ``labels``: a
    queue kept across calls (the app's live traffic); then labels not yet due are left in it rather
    than waited for. With ``wait_for_labels`` (default), the call returns once the last label is sent.

    Raises InputError for a bad setting or a drift that does not fit the model, ServiceUnreachable
    when nothing answers at ``url``."""
    check_replay(n_rows=n_rows, rate=rate, label_delay=label_delay, label_share=label_share, batch_rows=batch_rows)
    drift.check(rows.schema, rows.task)
    cancel = cancel or threading.Event()
    row_seed, label_seed = np.random.SeedSequence(seed).spawn(2)
    stream = RowStream(rows, drift, row_seed)
    choose = np.random.default_rng(label_seed)
    batch = batch_rows or default_batch_rows(rate)
    tag = tag or secrets.token_hex(4)
    queue = labels if labels is not None else LabelQueue()
    sent_before, failed_before = queue.sent, queue.failed
    owned = client is None
    client = client or ServiceClient(url)
    started = time.monotonic()
    sent = answered = requests = refused = drifted_rows = 0
    first_refusal: str | None = None
    try:
        while n_rows is None or sent < n_rows:
            if not _wait_until(started + sent / rate, cancel, queue, client):
                break
            size = batch if n_rows is None else min(batch, n_rows - sent)
            now = utc_now()
            drawn = stream.take(drift.active_rows(sent, [now] * size))
            request_id = f"{SIMULATED_PREFIX}{tag}-{requests:06d}"
            status, answer = client.post("/predict", drawn.records, {"X-Request-Id": request_id})
            requests += 1
            sent += size
            drifted_rows += int(drawn.drifted.sum())
            if status == 200:
                answered += size
                keep = np.flatnonzero(choose.random(size) < label_share)
                queue.add(time.monotonic() + label_delay,
                          [{"request_id": request_id, "row": int(i), "label": drawn.labels[i]} for i in keep])
            else:
                refused += 1
                first_refusal = first_refusal or _reason(status, answer)
            total = f" of {n_rows:,}" if n_rows is not None else ""
            progress(sent / n_rows if n_rows else 0.0,
                     f"{sent:,}{total} rows sent ({answered:,} answered), {queue.sent - sent_before:,} labels sent")
        cancelled = cancel.is_set()
        if wait_for_labels and labels is None and not cancelled:
            queue.send_due(client)
            while queue.next_due is not None:
                progress(1.0, f"Waiting for {queue.pending:,} labels to be due")
                if not _wait_until(queue.next_due, cancel, queue, client):
                    cancelled = True
                    break
    finally:
        if owned:
            client.close()
    return ReplaySummary(url=client.url, tag=tag, rows_sent=sent, rows_answered=answered, requests=requests,
                         refused=refused, drifted_rows=drifted_rows, labels_sent=queue.sent - sent_before,
                         labels_pending=queue.pending, labels_refused=queue.failed - failed_before,
                         cancelled=cancelled,
                         seconds=round(time.monotonic() - started, 3), first_refusal=first_refusal)


def _wait_until(deadline: float, cancel: threading.Event, queue: LabelQueue, client: ServiceClient) -> bool:
    """Sleep until ``deadline`` (monotonic), sending labels as they fall due; False when cancelled."""
    while True:
        queue.send_due(client)
        if cancel.is_set():
            return False
        now = time.monotonic()
        if now >= deadline:
            return True
        wake = deadline if queue.next_due is None else min(deadline, queue.next_due)
        if cancel.wait(max(0.0, wake - now)):
            return False


def _reason(status: int, answer: Any) -> str:
    if isinstance(answer, dict):
        return f"HTTP {status}: {answer.get('error') or answer.get('message') or answer}"
    return f"HTTP {status}: {answer}"
