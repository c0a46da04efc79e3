"""Monitor charts from plain data: traffic per window (requests, error rate, latency p50/p95/p99),
the model's predictions per window and its scores against the reference, drift per feature ×
window (a heatmap of effect over its minimum), one feature's reference and current histograms
side by side, and a drift alert's effect series. No Streamlit here."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import plotly.graph_objects as go

from lifecycle.charts.theme import FAIL, MUTED, PASS, PENDING, PRIMARY, apply_theme, empty_note, literal_chart
from lifecycle.monitor.drift_decisions import FeatureDrift
from lifecycle.monitor.drift_views import FeatureDetail
from lifecycle.monitor.traffic import TrafficSeries
from lifecycle.monitor.windows import format_size

HEAT_CAP = 3.0  # effect / minimum effect shown up to this ratio (more is the same colour)
CLASS_COLOURS = (PRIMARY, PENDING, PASS, FAIL, MUTED, "#8250df")


def _per(series: TrafficSeries) -> str:
    return f"per {format_size(series.size_seconds)} window"


@literal_chart
def requests_figure(series: TrafficSeries) -> go.Figure:
    """Answered requests per window (bars), rows on hover."""
    fig = apply_theme(go.Figure(), f"Requests {_per(series)}", "Window start (UTC)", "requests", height=300)
    if not series.requests:
        return empty_note(fig, "No request in this time range.")
    fig.add_bar(x=[w.start for w in series.windows], y=[w.requests for w in series.windows], marker_color=PRIMARY,
                customdata=[[w.rows] for w in series.windows],
                hovertemplate="%{x}<br>%{y:,} requests, %{customdata[0]:,} rows<extra></extra>")
    return fig


@literal_chart
def error_rate_figure(series: TrafficSeries) -> go.Figure:
    """Share of requests answered with an error (status >= 400) per window, in %."""
    fig = apply_theme(go.Figure(), f"Error rate {_per(series)}", "Window start (UTC)", "errors (% of requests)",
                      height=300)
    if not series.requests:
        return empty_note(fig, "No request in this time range.")
    fig.add_scatter(x=[w.start for w in series.windows],
                    y=[None if w.error_rate is None else 100 * w.error_rate for w in series.windows],
                    mode="lines+markers", line={"color": FAIL}, connectgaps=False,
                    customdata=[[w.errors, w.requests] for w in series.windows],
                    hovertemplate="%{x}<br>%{y:.2f}% (%{customdata[0]} of %{customdata[1]})<extra></extra>")
    fig.update_yaxes(rangemode="tozero")
    return fig


@literal_chart
def latency_figure(series: TrafficSeries) -> go.Figure:
    """Request latency p50, p95 and p99 per window, in ms."""
    fig = apply_theme(go.Figure(), f"Latency {_per(series)}", "Window start (UTC)", "latency (ms)", height=300)
    if not series.requests:
        return empty_note(fig, "No request in this time range.")
    x = [w.start for w in series.windows]
    for name, field, colour, dash in (("p50", "p50_ms", PRIMARY, "solid"), ("p95", "p95_ms", PENDING, "solid"),
                                      ("p99", "p99_ms", FAIL, "dot")):
        fig.add_scatter(x=x, y=[getattr(w, field) for w in series.windows], mode="lines", name=name,
                        line={"color": colour, "dash": dash}, connectgaps=False,
                        hovertemplate=f"%{{x}}<br>{name} %{{y:.1f}} ms<extra></extra>")
    fig.update_layout(showlegend=True)
    return fig


def _class_counts(item: FeatureDrift) -> dict[str, int]:
    histogram = dict(item.statistics.histogram or {})
    counts = dict(zip([str(c) for c in histogram.get("categories", [])],
                      [int(n) for n in histogram.get("counts", [])]))
    if histogram.get("other"):
        counts["(other)"] = int(histogram["other"])
    return counts


@literal_chart
def predictions_figure(history: Sequence[FeatureDrift], size_seconds: int) -> go.Figure:
    """Share of each predicted class per window (stacked), from the stored prediction drift."""
    fig = apply_theme(go.Figure(), f"Predicted classes per {format_size(size_seconds)} window", "Window start (UTC)",
                      "share of predictions (%)", height=300)
    rows = [(item.window_start, _class_counts(item)) for item in history]
    classes = list(dict.fromkeys(c for _, counts in rows for c in counts))
    if not rows or not classes:
        return empty_note(fig, "No prediction on record in this time range: refresh the monitoring.")
    for position, name in enumerate(classes):
        shares = [100 * counts.get(name, 0) / (sum(counts.values()) or 1) for _, counts in rows]
        fig.add_scatter(x=[start for start, _ in rows], y=shares, name=name, stackgroup="classes", mode="lines",
                        line={"color": CLASS_COLOURS[position % len(CLASS_COLOURS)]},
                        hovertemplate="%{x}<br>%{fullData.name}: %{y:.1f}%<extra></extra>")
    fig.update_layout(showlegend=True)
    return fig


@literal_chart
def histograms_figure(detail: FeatureDetail, *, title: str | None = None) -> go.Figure:
    """Reference and window histograms of one column side by side (shares of rows, in %)."""
    fig = apply_theme(go.Figure(), title or f"{detail.feature}: reference vs the window from "
                                            f"{detail.window_start:%Y-%m-%d %H:%M}", detail.feature,
                      "share of rows (%)", height=340)
    labels = list(detail.labels)
    fig.add_bar(x=labels, y=[100 * s for s in detail.reference_shares], name="reference (training)",
                marker_color=MUTED, customdata=[[c] for c in detail.reference_counts],
                hovertemplate="%{x}<br>reference %{y:.1f}% (%{customdata[0]:,} rows)<extra></extra>")
    fig.add_bar(x=labels, y=[100 * s for s in detail.current_shares], name="this window", marker_color=PRIMARY,
                customdata=[[c] for c in detail.current_counts],
                hovertemplate="%{x}<br>window %{y:.1f}% (%{customdata[0]:,} rows)<extra></extra>")
    fig.update_layout(barmode="group", showlegend=True)
    fig.update_xaxes(type="category")
    return fig


def _ratio(item: FeatureDrift) -> float | None:
    if item.effect is None or item.status not in ("drift", "no_drift"):
        return None
    if item.min_effect <= 0:
        return HEAT_CAP if item.drift else 0.0
    return min(HEAT_CAP, item.effect / item.min_effect)


def heatmap_rows(history: Sequence[FeatureDrift]) -> tuple[list[str], list[datetime], dict]:
    """(features, window starts, (feature, start) -> item) of a drift history, features in the
    order they first appear (the caller ranks them)."""
    features = list(dict.fromkeys(item.feature if item.source == "input" else f"[{item.feature}]"
                                  for item in history))
    starts = sorted({item.window_start for item in history})
    cells = {(item.feature if item.source == "input" else f"[{item.feature}]", item.window_start): item
             for item in history}
    return features, starts, cells


@literal_chart
def drift_heatmap_figure(history: Sequence[FeatureDrift], order: Sequence[str] = ()) -> go.Figure:
    """Drift per feature (rows, model outputs in brackets) × window (columns): the colour is the
    effect over its rule's minimum (1 = the minimum, capped at 3); drifting cells carry a dot,
    confirmed ones a ring; grey cells had no decision (too few rows, missing). ``order``: feature
    rows top to bottom (default: first seen)."""
    fig = apply_theme(go.Figure(), "Drift per feature and window (effect ÷ its minimum)", "Window start (UTC)",
                      "", height=None)
    features, starts, cells = heatmap_rows(history)
    if not features:
        return empty_note(fig, "No drift on record in this time range: refresh the monitoring.")
    ordered = [f for f in order if f in features] + [f for f in features if f not in order]
    ordered.reverse()  # plotly draws the first row at the bottom
    z, text = [], []
    for feature in ordered:
        row, words = [], []
        for start in starts:
            item = cells.get((feature, start))
            row.append(None if item is None else _ratio(item))
            words.append("" if item is None else f"{item.reason}")
        z.append(row)
        text.append(words)
    fig.add_heatmap(x=starts, y=ordered, z=z, zmin=0, zmax=HEAT_CAP, text=text,
                    colorscale=[[0, "#f6f8fa"], [1 / HEAT_CAP, "#fff1c2"], [1, FAIL]],
                    colorbar={"title": {"text": "effect ÷ min"}, "thickness": 12},
                    hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>", hoverongaps=False, xgap=1, ygap=1)
    marks = [(start, feature, cells[(feature, start)]) for feature in ordered for start in starts
             if (feature, start) in cells and cells[(feature, start)].drift]
    if marks:
        fig.add_scatter(x=[m[0] for m in marks], y=[m[1] for m in marks], mode="markers", name="drift",
                        marker={"symbol": ["circle-open" if m[2].confirmed else "circle" for m in marks],
                                "color": "#1f2328", "size": 7},
                        customdata=[["confirmed" if m[2].confirmed else "drifting"] for m in marks],
                        hovertemplate="%{y} · %{x}<br>%{customdata[0]}<extra></extra>")
    fig.update_layout(height=max(260, 60 + 22 * len(ordered)), margin={"l": 140})
    fig.update_yaxes(type="category")
    return fig


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@literal_chart
def drift_series_figure(chart: dict[str, Any]) -> go.Figure:
    """A drift alert's chart (``evidence["chart"]`` of kind ``drift_series``): the effect per
    window, the rule's minimum as a dashed line, the confirmed run's windows marked."""
    fig = apply_theme(go.Figure(), str(chart.get("title", "Drift per window")), "Window start (UTC)",
                      str(chart.get("y_title", "effect")), height=300)
    x = [_moment(s) for s in chart.get("x", [])]
    if not x:
        return empty_note(fig, "No window on record.")
    fig.add_scatter(x=x, y=list(chart.get("effect", [])), mode="lines+markers", name="effect",
                    line={"color": PRIMARY}, hovertemplate="%{x}<br>effect %{y:.3f}<extra></extra>")
    if chart.get("threshold") is not None:
        fig.add_hline(y=float(chart["threshold"]), line={"color": MUTED, "dash": "dash"},
                      annotation_text=f"minimum effect {float(chart['threshold']):g}", annotation_position="top left")
    marked = {_moment(s) for s in chart.get("highlight") or []}
    points = [(s, v) for s, v in zip(x, chart.get("effect", [])) if s in marked]
    if points:
        fig.add_scatter(x=[s for s, _ in points], y=[v for _, v in points], mode="markers", name="confirmed run",
                        marker={"color": FAIL, "size": 9}, hovertemplate="%{x}<br>in the confirmed run<extra></extra>")
    fig.update_layout(showlegend=True)
    return fig
