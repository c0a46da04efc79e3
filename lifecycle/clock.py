"""The one clock of the spine (leaf module: imports nothing of ours)."""
from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """Now in UTC as a naive datetime: what every ``TIMESTAMP`` column of the store holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
