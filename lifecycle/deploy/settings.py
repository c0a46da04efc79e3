"""The scoring service's settings, read from environment variables with documented defaults.

Kept here rather than in ``lifecycle.config`` so the service (and the bundle that vendors it)
needs nothing of the app; ``lifecycle.config.SETTINGS`` documents the same names for the README.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

SERVE_SETTINGS = {
    "LIFECYCLE_LOG_FLUSH_ROWS": "Prediction-log rows the scoring service buffers before writing a Parquet segment "
                                "(default 1000).",
    "LIFECYCLE_LOG_FLUSH_SECONDS": "Longest time, in seconds, a logged prediction waits in the buffer before its "
                                   "segment is written (default 2); a crash loses at most this much of the log.",
    "LIFECYCLE_SERVE_TOKEN": "Bearer token the scoring service requires on every route but /health; needed to "
                             "bind it to an address other than 127.0.0.1.",
    "LIFECYCLE_SERVE_MAX_BODY_MB": "Largest request body the scoring service accepts, in MB (default 20); larger "
                                   "is a 413.",
    "LIFECYCLE_SERVE_MAX_ROWS": "Most rows one scoring request may carry (default 100000); more is a 413.",
    "LIFECYCLE_SERVE_COMPILED": "Set to 0 so the scoring service scores through the fitted pipeline only, not its compiled row path (default 1; the compiled path is checked against the pipeline when a model loads).",
}

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """What the service reads from the environment (see ``SERVE_SETTINGS``)."""

    flush_rows: int = 1000
    flush_seconds: float = 2.0
    token: str | None = None
    max_body_bytes: int = 20 * 1024 * 1024
    max_rows: int = 100_000


def serve_settings(environ: Mapping[str, str] | None = None) -> ServeSettings:
    """The settings from ``environ`` (default ``os.environ``); a malformed number raises ValueError naming it."""
    env = os.environ if environ is None else environ

    def number(name: str, default: float, cast=float) -> float:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = cast(float(raw))
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a number; unset it or give a positive number.") from None
        if value <= 0:
            raise ValueError(f"{name}={raw!r} must be positive.")
        return value

    return ServeSettings(flush_rows=int(number("LIFECYCLE_LOG_FLUSH_ROWS", 1000, int)),
                         flush_seconds=number("LIFECYCLE_LOG_FLUSH_SECONDS", 2.0),
                         token=env.get("LIFECYCLE_SERVE_TOKEN") or None,
                         max_body_bytes=int(number("LIFECYCLE_SERVE_MAX_BODY_MB", 20.0) * 1024 * 1024),
                         max_rows=int(number("LIFECYCLE_SERVE_MAX_ROWS", 100_000, int)))
