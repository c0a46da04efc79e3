"""The Monitor page's controls: the view (summary or details), the time range, the traffic window
size, and the live refresh (interval, pausable)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import streamlit as st

from lifecycle.clock import utc_now
from lifecycle.monitor.windows import format_size

RANGES = {"Last hour": 1, "Last 6 hours": 6, "Last 24 hours": 24, "Last 4 days": 96, "Last 7 days": 168}
SIZES = (60, 300, 900, 3600, 6 * 3600, 86400)
INTERVALS = (2, 5, 10, 30, 60)
VIEWS = ("Summary", "Details")


@dataclass(frozen=True, kw_only=True)
class Controls:
    view: str
    hours: int
    size_seconds: int
    interval: int | None  # seconds between live refreshes; None when paused

    def now_range(self) -> tuple[datetime, datetime]:
        """(since, until) ending now: called on every live refresh, so the range moves with the clock."""
        until = utc_now()
        return until - timedelta(hours=self.hours), until


def _default_size(hours: int) -> int:
    return 300 if hours <= 6 else 3600


def render(stakeholder: bool) -> Controls:
    view = st.segmented_control("View", VIEWS, default=VIEWS[0] if stakeholder else VIEWS[1], key="monitor_view",
                                help="Summary: the headline numbers and what they mean. Details: every chart, the "
                                     "drift table, alerts and settings.") or VIEWS[0]
    left, middle, right, live = st.columns([2, 2, 2, 2])
    label = left.selectbox("Time range", list(RANGES), index=3, key="monitor_range")
    hours = RANGES[label]
    size = middle.selectbox("Traffic window", SIZES, index=SIZES.index(_default_size(hours)), format_func=format_size,
                            key="monitor_size", help="Requests, errors and latency per window of this size. Drift "
                                                     "and performance are judged on the project's drift window.")
    interval = right.selectbox("Refresh every", INTERVALS, index=2, format_func=lambda s: f"{s} s",
                               key="monitor_interval")
    running = live.toggle("Live", value=True, key="monitor_live", help="Pause to stop the page refreshing itself.")
    if hours * 3600 // size > 2000:  # at most 2,000 windows on a chart
        size = next(s for s in SIZES if hours * 3600 // s <= 2000)
    return Controls(view=view, hours=hours, size_seconds=size,
                    interval=interval if running else None)
