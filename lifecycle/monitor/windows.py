"""Monitoring windows: fixed-size time buckets over the prediction log, aligned to the Unix epoch.

A window is ``[start, start + size)`` in UTC (naive timestamps, as the log writes them). Aligning
to the epoch makes a window's bounds a function of its size alone, so windows computed on
different days, by the app or by ``monitor refresh``, line up and can be stored and reused by
``(project, size, start)``. The SQL side uses the same rule (DuckDB ``time_bucket`` with origin
1970-01-01), see ``lifecycle.store.window_sql.bucket_sql``; a test holds the two equal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from lifecycle.errors import InputError

EPOCH = datetime(1970, 1, 1)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
MIN_SIZE_SECONDS = 60
MAX_SIZE_SECONDS = 31 * 86400


@dataclass(frozen=True, kw_only=True, order=True)
class Window:
    """One window: ``start`` inclusive, ``end`` exclusive (naive UTC)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def parse_size(text: str) -> int:
    """A window size such as ``"15m"``, ``"1h"`` or ``"1d"`` in seconds (units s, m, h, d).

    Raises ``InputError`` for anything else, or a size outside 1 minute .. 31 days.
    """
    match = _SIZE.match(str(text))
    if match is None:
        raise InputError(f"The window size {text!r} is not a size.",
                         "Write a number and a unit: 15m, 1h, 6h or 1d (s, m, h, d).")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not MIN_SIZE_SECONDS <= seconds <= MAX_SIZE_SECONDS:
        raise InputError(f"The window size {text!r} is outside 1 minute to 31 days.",
                         "Pick a window between 1m and 31d, for example 1h.")
    return seconds


def format_size(seconds: int) -> str:
    """The shortest exact spelling of a size in seconds: 3600 -> ``"1h"``, 90 -> ``"90s"``."""
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def window_of(moment: datetime, size_seconds: int) -> Window:
    """The window of size ``size_seconds`` that holds ``moment``."""
    offset = int((moment - EPOCH).total_seconds()) // size_seconds * size_seconds
    start = EPOCH + timedelta(seconds=offset)
    return Window(start=start, end=start + timedelta(seconds=size_seconds))


def windows_between(first: datetime, last: datetime, size_seconds: int) -> list[Window]:
    """Every window from the one holding ``first`` to the one holding ``last``, in order
    (empty windows included, so a chart shows a gap as a gap). Empty list when ``last < first``."""
    if last < first:
        return []
    window, end = window_of(first, size_seconds), window_of(last, size_seconds)
    out = []
    while window <= end:
        out.append(window)
        window = Window(start=window.end, end=window.end + timedelta(seconds=size_seconds))
    return out

