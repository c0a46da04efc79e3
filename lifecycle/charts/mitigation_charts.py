"""The accuracy–fairness trade-off of a base model and its mitigated candidates (one point each)."""
from __future__ import annotations

import plotly.graph_objects as go

from lifecycle.charts.theme import literal_chart
from lifecycle.charts.theme import MUTED, PRIMARY, apply_theme, empty_note
from lifecycle.review.mitigation import METHOD_LABELS
from lifecycle.review.mitigation_tradeoff import TradeOff, TradeOffPoint

_METRIC_TITLES = {"demographic_parity_difference": "Demographic parity difference",
                  "equalized_odds_difference": "Equalized odds difference"}


def point_label(point: TradeOffPoint) -> str:
    """'v1 #3 · base' or 'v2 #5 · Threshold optimizer' (the text next to a point)."""
    short = point.label.split(" (")[0]
    what = "base" if point.is_base else METHOD_LABELS.get(point.method, point.method)
    return f"{short} #{point.version_id} · {what}"


def _trace(points: list[TradeOffPoint], name: str, colour: str, symbol: str) -> go.Scatter:
    return go.Scatter(
        x=[p.fairness for p in points], y=[p.accuracy for p in points], mode="markers+text", name=name,
        text=[point_label(p) for p in points], textposition="top center",
        marker={"size": 14 if symbol == "diamond" else 11, "color": colour, "symbol": symbol,
                "line": {"width": 1, "color": "white"}},
        customdata=[[p.version_id, p.description, "n/a" if p.primary is None else f"{p.primary:.3f}"]
                    for p in points],
        hovertemplate=("%{text}<br>%{customdata[1]}<br>fairness %{x:.3f} · accuracy %{y:.3f}"
                       "<br>primary metric %{customdata[2]}<extra></extra>"))


@literal_chart
def trade_off_chart(result: TradeOff | None) -> go.Figure:
    """Fairness metric (x, lower is fairer) against test accuracy (y, higher is better): the base
    as a grey diamond, every candidate as a labelled point (``customdata[0]`` is its version id)."""
    fig = go.Figure()
    if result is None or not result.points:
        apply_theme(fig, "Accuracy–fairness trade-off", "", "")
        return empty_note(fig, "No model to compare yet: create a mitigated candidate.")
    metric = _METRIC_TITLES.get(result.metric, result.metric)
    base = [p for p in result.points if p.is_base]
    others = [p for p in result.points if not p.is_base]
    fig.add_trace(_trace(base, "base model", MUTED, "diamond"))
    fig.add_trace(_trace(others, "candidates", PRIMARY, "circle"))
    apply_theme(fig, f"Accuracy–fairness trade-off on {result.n_test:,} test rows",
                f"{metric} over {' × '.join(result.sensitive)} (lower is fairer)", "Accuracy (higher is better)")
    if not others:
        fig.add_annotation(text="Only the base model so far: create a mitigated candidate to compare.",
                           showarrow=False, xref="paper", yref="paper", x=0.5, y=0.02, font={"color": MUTED})
    return fig
