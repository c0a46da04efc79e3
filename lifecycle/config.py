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
    "LIFECYCLE_DEMO": "Set to 0 to start the app on an empty workspace instead of seeding the demo.",
    "LIFECYCLE_SESSION_HOURS": "How long a sign-in lasts in a browser, across refreshes, in hours (default 12).",
}


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_upload_bytes: int
    max_columns: int


def workspace_path() -> Path:
    return Path(os.environ.get("LIFECYCLE_WORKSPACE", DATA_DIR / "workspace.duckdb"))


def limits() -> Limits:
    return Limits(
        max_upload_bytes=int(float(os.environ.get("LIFECYCLE_MAX_UPLOAD_MB", "200")) * 1024 * 1024),
        max_columns=int(os.environ.get("LIFECYCLE_MAX_COLUMNS", "2000")),
    )


def demo_enabled() -> bool:
    return os.environ.get("LIFECYCLE_DEMO", "1") != "0"


def session_hours() -> int:
    return max(1, int(os.environ.get("LIFECYCLE_SESSION_HOURS", "12")))
