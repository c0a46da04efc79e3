"""Settings, read from environment variables with documented defaults.

Every setting is listed in ``SETTINGS`` so the README table and a test stay in sync.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"

SETTINGS = {
    "LIFECYCLE_WORKSPACE": "Path of the workspace DuckDB file (default data/workspace.duckdb).",
    "LIFECYCLE_USER": "Actor for the CLI when --user is not given.",
    "LIFECYCLE_MAX_UPLOAD_MB": "Largest file (after decompression) that ingest accepts, in MB (default 200).",
    "LIFECYCLE_MAX_COLUMNS": "Widest file that ingest accepts, in columns (default 2000).",
    "LIFECYCLE_MAX_ROWS": "Most rows a dataset may hold, from a file or a saved query result (default 10000000).",
    "LIFECYCLE_QUERY_MEMORY_MB": "Memory one read-only SQL query may use, its result included, in MB (default 1024).",
    "LIFECYCLE_SESSION_IDLE_MINUTES": "Minutes without activity after which the app signs a user out (default 30; 0 never).",
    "LIFECYCLE_DEMO": "Set to 0 to start the app on an empty workspace instead of seeding the demo.",
    "LIFECYCLE_AUTOSERVE": "Set to 0 so the app does not start the scoring service of projects in production "
                           "when it starts (default 1; the services stop with the app).",
    # The scoring service reads these itself (lifecycle/deploy/settings.py, so an exported bundle needs
    # nothing of the app); tests/unit/test_prediction_log.py keeps both lists equal.
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
    "LIFECYCLE_SESSION_HOURS": "How long a sign-in lasts in a browser, across refreshes, in hours (default 12).",
    "LIFECYCLE_LIVE_TRAFFIC": "Rows per second of simulated traffic the app sends, while it runs, through the "
                              "scoring service of each demo project holding simulated history (default 0.5; 0 off; "
                              "only with LIFECYCLE_AUTOSERVE on).",
    "LIFECYCLE_MONITOR_REFRESH_SECONDS": "Seconds between the app's background refreshes of each production "
                                         "project's monitoring (drift, alerts, performance, webhook delivery; "
                                         "default 300; 0 off; only with LIFECYCLE_AUTOSERVE on).",
    "LIFECYCLE_DASK_SCHEDULER": "Address of a Dask scheduler (tcp://host:8786) on whose workers hyperparameter "
                                "searches fit their candidates, through joblib's Dask backend (default empty: "
                                "in this process).",
}
DASK_SCHEDULER = "LIFECYCLE_DASK_SCHEDULER"


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_upload_bytes: int
    max_columns: int
    max_rows: int = 10_000_000
    query_memory_bytes: int = 1024 * 1024 * 1024


def workspace_path() -> Path:
    return Path(os.environ.get("LIFECYCLE_WORKSPACE", DATA_DIR / "workspace.duckdb"))


def limits() -> Limits:
    return Limits(
        max_upload_bytes=int(float(os.environ.get("LIFECYCLE_MAX_UPLOAD_MB", "200")) * 1024 * 1024),
        max_columns=int(os.environ.get("LIFECYCLE_MAX_COLUMNS", "2000")),
        max_rows=int(os.environ.get("LIFECYCLE_MAX_ROWS", "10000000")),
        query_memory_bytes=int(float(os.environ.get("LIFECYCLE_QUERY_MEMORY_MB", "1024")) * 1024 * 1024),
    )


def session_idle_seconds() -> float:
    """0 means sessions never expire."""
    return float(os.environ.get("LIFECYCLE_SESSION_IDLE_MINUTES", "30")) * 60


def autoserve_enabled() -> bool:
    return os.environ.get("LIFECYCLE_AUTOSERVE", "1") != "0"


def demo_enabled() -> bool:
    return os.environ.get("LIFECYCLE_DEMO", "1") != "0"


def session_hours() -> int:
    return max(1, int(os.environ.get("LIFECYCLE_SESSION_HOURS", "12")))


def live_traffic_rate() -> float:
    """LIFECYCLE_LIVE_TRAFFIC in rows per second (0: off). Raises ValueError naming a bad value."""
    raw = os.environ.get("LIFECYCLE_LIVE_TRAFFIC", "").strip()
    if not raw:
        return 0.5
    try:
        rate = float(raw)
    except ValueError:
        raise ValueError(f"LIFECYCLE_LIVE_TRAFFIC={raw!r} is not a number; give rows per second, 0 for none.") from None
    if not 0.0 <= rate < float("inf"):
        raise ValueError(f"LIFECYCLE_LIVE_TRAFFIC={raw!r} must be 0 or more rows per second.")
    return rate


def monitor_refresh_seconds() -> float:
    """LIFECYCLE_MONITOR_REFRESH_SECONDS (0: off). Raises ValueError naming a bad value."""
    raw = os.environ.get("LIFECYCLE_MONITOR_REFRESH_SECONDS", "").strip()
    if not raw:
        return 300.0
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"LIFECYCLE_MONITOR_REFRESH_SECONDS={raw!r} is not a number; give seconds, 0 for off.") from None
    if not 0.0 <= seconds < float("inf"):
        raise ValueError(f"LIFECYCLE_MONITOR_REFRESH_SECONDS={raw!r} must be 0 or more seconds.")
    return seconds


def dask_scheduler() -> str | None:
    """LIFECYCLE_DASK_SCHEDULER, stripped; None when unset or empty (searches run in this process)."""
    return os.environ.get(DASK_SCHEDULER, "").strip() or None
