"""How simulated traffic is marked in the prediction and feedback logs, so it is never mistaken
for real traffic and can be left out (or picked out) by whoever reads the log.

The log's Parquet schema is the scoring service's own (``deploy.prediction_log.PREDICTION_SCHEMA``):
no column is added, so every reader of the log (``store.prediction_log``, the Deploy page's
traffic stats, the drift engine) reads simulated rows unchanged. The mark lives in values:

- every simulated request id starts with ``sim-`` (``SIMULATED_PREFIX``): live replay sends
  ``sim-<run tag>-<n>`` as ``X-Request-Id``, history writes ``sim-h<start>-<day>-<n>``; the
  feedback rows of simulated labels carry the same ids;
- history rows, written straight into the log without the service, have route ``simulated``
  (``HISTORY_ROUTE``); replayed rows went through the real service and keep its route
  (``predict``).
"""
from __future__ import annotations

from lifecycle.deploy.prediction_log import HISTORY_ROUTE

SIMULATED_PREFIX = "sim-"
__all__ = ["HISTORY_ROUTE", "SIMULATED_PREFIX", "is_simulated"]


def is_simulated(request_id: str | None) -> bool:
    """True for a request id the simulator made (``sim-...``)."""
    return bool(request_id) and str(request_id).startswith(SIMULATED_PREFIX)
