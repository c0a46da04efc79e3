"""Stage 7's figures: the A/B test's effect and its always-valid interval as outcomes arrive."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from lifecycle.charts.theme import MUTED, PRIMARY, apply_theme, literal_chart


@literal_chart
def effect_path_figure(outcomes: Sequence[int], effect: Sequence[float | None], low: Sequence[float | None],
                       high: Sequence[float | None], *, measure: str, scale: float = 1.0, unit: str = "") -> go.Figure:
    """The challenger − champion effect after each number of labelled outcomes, with its always-valid
    interval as a band (it only narrows) and the zero line: the verdict is decided where the band
    leaves zero. ``scale`` multiplies every value (100 for points of accuracy)."""
    def scaled(values):
        return [None if v is None else v * scale for v in values]

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(outcomes), y=scaled(high), mode="lines", line={"width": 0}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=list(outcomes), y=scaled(low), mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(9, 105, 218, 0.15)", name="always-valid interval",
                             hovertemplate="interval low %{y:.3g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(outcomes), y=scaled(effect), mode="lines", line={"color": PRIMARY},
                             name="effect", hovertemplate="%{x:,} outcomes: effect %{y:+.3g}<extra></extra>"))
    fig.add_hline(y=0, line={"color": MUTED, "dash": "dash"})
    suffix = f" ({unit})" if unit else ""
    return apply_theme(fig, f"Challenger − champion {measure}, as outcomes arrive", "labelled outcomes",
                       f"difference{suffix}", height=320)
