"""Stage 9's chart: a metric of every validated version, in the order they were registered, with its
95% interval and the verdict of that validation (colour and a word in the hover)."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from lifecycle.charts.theme import FAIL, PASS, apply_theme, empty_note, literal_chart
from lifecycle.retire.handover import VersionMetrics


@literal_chart
def metrics_over_time_figure(metrics: Sequence[VersionMetrics], metric: str) -> go.Figure:
    """``metric`` (value and 95% bootstrap interval) of each version that has it, by version."""
    points = [m for m in metrics if metric in m.metrics and m.metrics[metric][0] is not None]
    fig = go.Figure()
    if not points:
        return empty_note(apply_theme(fig, f"{metric} by version", "model version", metric),
                          f"No validated version has {metric}.")
    values = [m.metrics[metric] for m in points]
    fig.add_trace(go.Scatter(
        x=[f"v{m.version}" for m in points], y=[v for v, _, _ in values], mode="lines+markers",
        marker={"size": 11, "color": [PASS if m.passed else FAIL for m in points]}, line={"color": "#8c959f"},
        error_y={"type": "data", "symmetric": False,
                 "array": [(high - value) if high is not None else 0 for value, _, high in values],
                 "arrayminus": [(value - low) if low is not None else 0 for value, low, _ in values]},
        customdata=[[f"{m.validated_at:%Y-%m-%d}", "pass" if m.passed else "fail"] for m in points],
        hovertemplate="%{x}: %{y:.4f}<br>validated %{customdata[0]} · verdict %{customdata[1]}<extra></extra>"))
    return apply_theme(fig, f"{metric} by version (held-out test, 95% interval)", "model version", metric)
