"""The prediction log and the feedback log: append-only Parquet segments the scoring service writes.

Each scored row becomes one log row (request id, row, time, version, answering or shadow,
route, status, latency, inputs, prediction and outputs); a refused request is one row with its
status and reason. Each input the version's schema names is a typed column of its own
(``input:<name>``, see ``deploy.log_inputs``); the ``inputs`` column keeps, as JSON text, only the
keys the schema does not name. Prediction and outputs are JSON text. Rows wait in memory and a
background thread writes them as one segment every ``flush_rows`` rows or ``flush_seconds``
seconds, whichever comes first. A segment is written under a hidden temporary name, fsynced and
renamed into place, so a reader (and ``read_parquet`` over ``*.parquet``) only ever sees whole
segments, and a crash loses at most the rows not yet flushed. Feedback (the true label for a
request id) goes to its own segments the same way. The dashboard reads both through
``lifecycle.store.prediction_log``.

Requests never wait for the disk: ``log`` appends to lists under a lock and returns.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle.clock import utc_now
from lifecycle.deploy.log_inputs import InputSpec, split
from lifecycle.deploy.paths import feedback_dir, predictions_dir
from lifecycle.records import InputColumn

LOGGER = logging.getLogger("lifecycle.deploy.prediction_log")

PREDICTION_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("row", pa.int32()), ("time", pa.timestamp("us")),
    ("version_id", pa.int64()), ("version", pa.int32()), ("role", pa.string()), ("route", pa.string()),
    ("status", pa.int16()), ("latency_ms", pa.float64()), ("inputs", pa.string()),
    ("prediction", pa.string()), ("outputs", pa.string()), ("error", pa.string()),
])
FEEDBACK_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("row", pa.int32()), ("label", pa.string()), ("time", pa.timestamp("us")),
])
ANSWER, SHADOW = "answer", "shadow"
# The route of rows written into the log without the service (the simulator's history): the
# service's own stats leave them out; monitoring reads them (see monitor.marks).
HISTORY_ROUTE = "simulated"
ANSWERED_KEY = b"lifecycle.answered"  # footer metadata: the answered rows per version (answered_rows)
EPOCH, ONE_MICROSECOND = datetime(1970, 1, 1), timedelta(microseconds=1)
SPEC = "input spec"  # buffered beside the rows (each row's InputSpec), never written as such


class SegmentWriter:
    """Rows buffered by column and written as Parquet segments into ``folder`` by a background thread."""

    def __init__(self, folder: Path, schema: pa.Schema, *, flush_rows: int = 1000, flush_seconds: float = 2.0,
                 json_columns: Sequence[str] = (), buffered: Sequence[str] = (),
                 build: Callable[[dict[str, list]], pa.Table] | None = None):
        self.folder = Path(folder)
        self.json_columns = tuple(json_columns)  # given as Python values, written as JSON text
        self.build = build  # the segment's table from the buffered columns (default: the schema's columns)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.flush_rows = max(1, int(flush_rows))
        self.flush_seconds = float(flush_seconds)
        self._names = [*schema.names, *buffered]
        self._buffer: dict[str, list] = {name: [] for name in self._names}
        self._lock = threading.Lock()  # guards the buffer
        self._write_lock = threading.Lock()  # one segment written at a time, in order
        self._wake = threading.Event()
        self._closed = False
        self._sequence = 0
        self._tag = f"{os.getpid()}-{secrets.token_hex(3)}"  # replicas (and restarts) never collide
        self.segments_written = 0
        self.rows_written = 0
        self._thread = threading.Thread(target=self._run, name=f"log-writer-{self.folder.name}", daemon=True)
        self._thread.start()

    def append(self, columns: dict[str, Sequence[Any]]) -> None:
        """Add rows given as equal-length column lists (every schema column named)."""
        with self._lock:
            for name in self._names:
                self._buffer[name].extend(columns[name])
            full = len(self._buffer[self._names[0]]) >= self.flush_rows
        if full:
            self._wake.set()

    def append_row(self, row: dict[str, Any]) -> None:
        """Add one row (a missing column is empty)."""
        with self._lock:
            for name in self._names:
                self._buffer[name].append(row.get(name))
            full = len(self._buffer[self._names[0]]) >= self.flush_rows
        if full:
            self._wake.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._buffer[self._names[0]])

    def flush(self) -> Path | None:
        """Write what is buffered now as one segment; returns its path (None when nothing was buffered)."""
        with self._write_lock:
            with self._lock:
                if not self._buffer[self._names[0]]:
                    return None
                taken, self._buffer = self._buffer, {name: [] for name in self._names}
            return self._write(taken)

    def close(self) -> None:
        """Flush the rest and stop the thread."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()

    def _write(self, columns: dict[str, list]) -> Path:
        for name in self.json_columns:  # serialised here, on the writer thread, not in the request
            columns[name] = [None if v is None else json.dumps(v, default=str)
                             for v in columns[name]]
        table = self.build(columns) if self.build is not None else pa.Table.from_pydict(columns, schema=self.schema)
        self._sequence += 1
        name = f"{utc_now():%Y%m%dT%H%M%S%f}-{self._tag}-{self._sequence:06d}.parquet"
        final = self.folder / name
        temporary = self.folder / f".{name}.partial"  # hidden: never matched by *.parquet
        try:
            pq.write_table(table, temporary, compression="zstd")
            descriptor = os.open(temporary, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self.segments_written += 1
        self.rows_written += table.num_rows
        return final

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a full disk must not take the service down; the rows stay lost, said so
                LOGGER.exception("Could not write a log segment into %s", self.folder)


def prediction_table(columns: dict[str, list]) -> pa.Table:
    """One prediction segment's table from its buffered columns (``inputs`` as Python values, each
    row's ``SPEC``): the log's own columns, ``inputs`` as the JSON of the keys no schema names,
    then the typed input columns (``deploy.log_inputs``)."""
    extras, typed = split(columns.pop("inputs"), columns.pop(SPEC))
    table = pa.Table.from_pydict({**columns, "inputs": extras}, schema=PREDICTION_SCHEMA)
    for column, values in typed.items():
        table = table.append_column(column, values)
    answered = answered_rows(columns)
    return table if answered is None else table.replace_schema_metadata({ANSWERED_KEY: json.dumps(answered)})


def answered_rows(columns: dict[str, list]) -> dict[str, list[int]] | None:
    """What the footer states of the answered rows (``role`` answer, ``status`` below 400), per
    version id: [rows, first and last ``time`` in microseconds since 1970], so counting a
    segment's rows per window needs no scan when they all fall in one window
    (``store.drift_log.window_counts``). None when a time is not a naive UTC datetime (nothing stated)."""
    out: dict[str, list[int]] = {}
    for version_id, role, status, at in zip(columns["version_id"], columns["role"], columns["status"],
                                            columns["time"]):
        if version_id is None or role != ANSWER or status is None or status >= 400:
            continue
        if type(at) is not datetime or at.tzinfo is not None:
            return None
        micros = (at - EPOCH) // ONE_MICROSECOND
        known = out.get(str(int(version_id)))
        if known is None:
            out[str(int(version_id))] = [1, micros, micros]
        else:
            known[0] += 1
            known[1] = min(known[1], micros)
            known[2] = max(known[2], micros)
    return out


class PredictionLog:
    """The service's prediction and feedback logs under ``log_folder`` (``predictions/``, ``feedback/``)."""

    def __init__(self, log_folder: Path, *, flush_rows: int = 1000, flush_seconds: float = 2.0):
        self.log_folder = Path(log_folder)
        self.predictions = SegmentWriter(predictions_dir(log_folder), PREDICTION_SCHEMA, flush_rows=flush_rows,
                                         flush_seconds=flush_seconds, json_columns=("prediction", "outputs"),
                                         buffered=(SPEC,), build=prediction_table)
        self._specs: dict[int, tuple[Sequence[InputColumn], InputSpec]] = {}
        self.feedback_writer = SegmentWriter(feedback_dir(log_folder), FEEDBACK_SCHEMA, flush_rows=flush_rows,
                                             flush_seconds=flush_seconds, json_columns=("label",))

    def log(self, *, request_id: str, version_id: int | None, version: int | None, role: str, route: str,
            status: int, latency_ms: float, inputs: Sequence[Any] = (), predictions: Sequence[Any] = (),
            outputs: Sequence[Any] = (), rows: Sequence[int] | None = None, error: str | None = None,
            time: datetime | None = None, input_schema: Sequence[InputColumn] | None = None) -> None:
        """Log one request: a row per scored row (``inputs`` as the client sent them, ``predictions``
        and ``outputs`` one each, as Python values), or, when nothing was scored, one row with
        ``error``. ``input_schema`` (the answering version's) types the inputs it names, each in its
        own column; without it every input is kept as JSON text."""
        n = len(inputs)
        at = time or utc_now()
        if n == 0:
            self.predictions.append_row({"request_id": request_id, "row": None, "time": at, "version_id": version_id,
                                         "version": version, "role": role, "route": route, "status": status,
                                         "latency_ms": latency_ms, "error": error})
            return
        self.predictions.append({
            "request_id": [request_id] * n, "row": list(rows) if rows is not None else list(range(n)),
            "time": [at] * n, "version_id": [version_id] * n, "version": [version] * n, "role": [role] * n,
            "route": [route] * n, "status": [status] * n, "latency_ms": [latency_ms] * n, "inputs": list(inputs),
            "prediction": list(predictions), "outputs": list(outputs) if outputs else [None] * n,
            "error": [error] * n, SPEC: [self._spec(input_schema)] * n})

    def _spec(self, schema: Sequence[InputColumn] | None) -> InputSpec | None:
        if not schema:
            return None
        known = self._specs.get(id(schema))
        if known is None or known[0] is not schema:  # kept with its schema: an id is never reused meanwhile
            if len(self._specs) >= 64:  # a caller building a new schema object per request
                self._specs.clear()
            known = self._specs[id(schema)] = (schema, InputSpec.of(schema))
        return known[1]

    def feedback(self, request_id: str, label: Any, *, row: int = 0, time: datetime | None = None) -> None:
        """Log the true label of row ``row`` of request ``request_id`` (written as JSON text)."""
        self.feedback_writer.append_row({"request_id": request_id, "row": row, "label": label,
                                         "time": time or utc_now()})

    def flush(self) -> None:
        """Write every buffered row now."""
        self.predictions.flush()
        self.feedback_writer.flush()

    def close(self) -> None:
        """Flush and stop the writer threads."""
        self.predictions.close()
        self.feedback_writer.close()
