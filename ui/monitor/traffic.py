"""Traffic per window: requests, error rate and latency p50 / p95 / p99 (read live from the log)."""
from __future__ import annotations

import streamlit as st

from lifecycle.charts import monitor_charts
from lifecycle.monitor.traffic import TrafficSeries
from ui.frame import text


def render(series: TrafficSeries) -> None:
    st.caption(f"{series.requests:,} requests, {series.errors:,} with an error, in this time range.")
    st.plotly_chart(monitor_charts.requests_figure(series), key="monitor_requests")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(monitor_charts.error_rate_figure(series), key="monitor_errors")
    with right:
        st.plotly_chart(monitor_charts.latency_figure(series), key="monitor_latency")
    for skipped in series.skipped:
        st.warning(f"A log segment was skipped: {text(skipped)}", icon=":material/warning:")
