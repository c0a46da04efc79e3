"""A request scored as the scoring service scores it, outside the service: the simulators' one
path from rows to a prediction-log entry (the Monitor stage's history, the Retrain stage's A/B
traffic).

``score_request`` runs the served version's own row checker and ``score_rows`` (what
``deploy.service`` runs per request), times it, and names the predictions and class probabilities
as the service's log does; ``ScoredRequest.log_into`` writes it through the service's log writer
(route ``simulated``: ``monitor.marks``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lifecycle.deploy.prediction_log import PredictionLog
from lifecycle.monitor.marks import HISTORY_ROUTE


@dataclass(frozen=True, kw_only=True)
class ScoredRequest:
    """One scored request: who answered it (version id and number, role ``answer`` or ``shadow``),
    when, the scoring time in milliseconds, and its rows' inputs, predictions (as the target names
    them) and class probabilities (one ``{class: probability}`` a row; empty for a regressor)."""

    request_id: str
    at: datetime
    version_id: int
    version: int
    role: str
    latency_ms: float
    inputs: list[dict[str, Any]]
    predictions: list[Any]
    outputs: list[Any]
    input_schema: tuple = ()  # the version's input schema: types the logged inputs' columns

    def log_into(self, log: PredictionLog) -> None:
        """Write the request into ``log`` as a served request (status 200, route ``simulated``)."""
        log.log(request_id=self.request_id, version_id=self.version_id, version=self.version, role=self.role,
                route=HISTORY_ROUTE, status=200, latency_ms=self.latency_ms, inputs=self.inputs,
                predictions=self.predictions, outputs=self.outputs, time=self.at,
                input_schema=self.input_schema)


def score_request(served, role: str, request_id: str, at: datetime, records: list[dict[str, Any]]) -> ScoredRequest:
    """Score ``records`` (input rows as dicts) with ``served`` (a loaded ``deploy.live`` version) as
    the service does: check the rows, score them, time it. Raises what the row checker raises for a
    row the version cannot score."""
    began = time.perf_counter()
    results = served.score_rows(served.checker.check(records))
    latency = (time.perf_counter() - began) * 1000.0
    loaded = served.loaded
    classes = loaded.class_names
    outputs = ([dict(zip(map(str, classes), probs)) for _, probs in results]
               if classes and results and results[0][1] is not None else [])
    return ScoredRequest(request_id=request_id, at=at, version_id=served.entry.version_id,
                         version=served.entry.version, role=role, latency_ms=latency, inputs=records,
                         predictions=[loaded.named(p) for p, _ in results], outputs=outputs,
                         input_schema=served.entry.input_schema)
