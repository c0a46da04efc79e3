"""The scoring service's traffic as the Deploy page shows it: requests, rate, errors and latency
percentiles per version over the last minutes, read from the prediction log (never from the service)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from lifecycle.clock import utc_now
from lifecycle.deploy.paths import log_dir, predictions_dir
from lifecycle.deploy.prediction_log import HISTORY_ROUTE
from lifecycle.store import prediction_log as log_store


@dataclass(frozen=True, kw_only=True)
class VersionStats:
    """Traffic answered by one version (``version_id`` None: all requests together) over the window."""

    version_id: int | None
    version: int | None
    requests: int
    errors: int  # status >= 400 (bad input included)
    server_errors: int  # status >= 500
    rate_per_s: float
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True, kw_only=True)
class ServiceStats:
    """The last ``minutes`` of the log: a total and one entry per version, and the segments skipped as torn."""

    minutes: float
    since: datetime
    until: datetime
    total: VersionStats
    versions: tuple[VersionStats, ...]
    skipped: tuple[str, ...]  # "name: reason" of each torn segment left out

    def for_version(self, version_id: int) -> VersionStats | None:
        return next((v for v in self.versions if v.version_id == version_id), None)


def log_stats(log_folder: Path, *, minutes: float = 5, now: datetime | None = None) -> ServiceStats:
    """Traffic stats from the prediction log in ``log_folder`` over the last ``minutes`` (UTC): what the
    service answered, so history the simulator wrote into the log (``HISTORY_ROUTE``) is left out."""
    until = now or utc_now()
    since = until - timedelta(minutes=minutes)
    frame, found = log_store.traffic(predictions_dir(log_folder), since, until + timedelta(microseconds=1),
                                     exclude_route=HISTORY_ROUTE)
    seconds = minutes * 60.0
    records = frame.to_dict("records")
    total = next((_entry({**row, "version_id": None, "version": None}, seconds) for row in records
                  if row["is_total"]), None)
    versions = tuple(_entry(row, seconds) for row in records if not row["is_total"] and not _missing(row["version_id"]))
    return ServiceStats(minutes=minutes, since=since, until=until, versions=versions,
                        total=total or VersionStats(version_id=None, version=None, requests=0, errors=0,
                                                    server_errors=0, rate_per_s=0.0, error_rate=0.0, p50_ms=None,
                                                    p95_ms=None, p99_ms=None),
                        skipped=tuple(f"{name}: {why}" for name, why in found.skipped))


def service_stats(workspace_path: Path, project_id: int, *, minutes: float = 5,
                  now: datetime | None = None) -> ServiceStats:
    """Traffic stats of a project's scoring service over the last ``minutes``, for the Deploy page."""
    return log_stats(log_dir(workspace_path, project_id), minutes=minutes, now=now)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _entry(row: dict, seconds: float) -> VersionStats:
    requests = int(row["requests"])

    def number(value):
        return None if _missing(value) else float(value)

    version_id = None if _missing(row["version_id"]) else int(row["version_id"])
    version = None if _missing(row["version"]) else int(row["version"])
    return VersionStats(version_id=version_id, version=version, requests=requests,
                        errors=int(row["errors"]), server_errors=int(row["server_errors"]),
                        rate_per_s=requests / seconds if seconds > 0 else 0.0,
                        error_rate=int(row["errors"]) / requests if requests else 0.0,
                        p50_ms=number(row["p50_ms"]), p95_ms=number(row["p95_ms"]), p99_ms=number(row["p99_ms"]))
