"""Monitor charts of performance per window: realized values with their 95% interval band, the
estimate (CBPE) beside them, and the objective's threshold. The same figure draws an alert's
evidence (its ``chart`` series) and a stored history."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from lifecycle.charts.theme import FAIL, MUTED, PRIMARY, apply_theme, empty_note, literal_chart
from lifecycle.monitor.performance import PerformanceHistory
from lifecycle.monitor.windows import format_size, windows_between
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import Objective

ESTIMATE = "#8250df"


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _label(metric: str) -> str:
    spec = CATALOGUE.get(metric)
    return spec.label if spec else metric


@literal_chart
def interval_series_figure(chart: dict[str, Any]) -> go.Figure:
    """A metric per window from plain series (an alert's ``evidence["chart"]``): ``x`` window starts,
    ``value``, ``low``, ``high`` (None where missing), optional ``estimated``, ``threshold`` and
    ``highlight`` (starts of breached windows), ``title`` and ``y_title``."""
    fig = apply_theme(go.Figure(), str(chart.get("title", "Performance per window")), "Window start (UTC)",
                      str(chart.get("y_title", "value")))
    x = [_moment(s) for s in chart.get("x", [])]  # datetimes: text would be escaped as user data
    values = list(chart.get("value", []))
    if not x or all(v is None for v in values + list(chart.get("estimated") or [])):
        return empty_note(fig, "No window has a value yet: labels have not arrived.")
    low, high = list(chart.get("low", [None] * len(x))), list(chart.get("high", [None] * len(x)))
    fig.add_scatter(x=x, y=high, mode="lines", line={"width": 0}, hoverinfo="skip", connectgaps=False)
    fig.add_scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor="rgba(9,105,218,0.15)",
                    hoverinfo="skip", connectgaps=False)
    fig.add_scatter(x=x, y=values, mode="lines+markers", name="realized", line={"color": PRIMARY},
                    customdata=[[lo, hi] for lo, hi in zip(low, high)],
                    hovertemplate="%{x}<br>realized %{y:.3f} (95% interval %{customdata[0]:.3f} to "
                                  "%{customdata[1]:.3f})<extra></extra>")
    if chart.get("estimated") and any(v is not None for v in chart["estimated"]):
        fig.add_scatter(x=x, y=list(chart["estimated"]), mode="lines", name="estimated by CBPE",
                        line={"color": ESTIMATE, "dash": "dot"}, hovertemplate="%{x}<br>estimated %{y:.3f}"
                                                                              "<extra></extra>")
    if chart.get("threshold") is not None:
        fig.add_hline(y=float(chart["threshold"]), line={"color": MUTED, "dash": "dash"},
                      annotation_text=f"objective {chart.get('comparator', '')} {float(chart['threshold']):g}",
                      annotation_position="top left")
    marked = {_moment(s) for s in chart.get("highlight") or []}
    if marked:
        points = [(s, v) for s, v in zip(x, values) if s in marked]
        fig.add_scatter(x=[s for s, _ in points], y=[v for _, v in points], mode="markers", name="breached",
                        marker={"color": FAIL, "size": 12, "symbol": "x"}, hovertemplate="%{x}<br>breached"
                                                                                         "<extra></extra>")
    fig.update_layout(showlegend=True)
    return fig


def performance_series(history: PerformanceHistory, metric: str, version_id: int,
                       objective: Objective | None = None) -> dict[str, Any]:
    """The plain series :func:`interval_series_figure` draws, for ``metric`` of ``version_id``; a
    window without traffic between the first and the last stored one is a gap (None), not a line."""
    realized = {w.start: v for w, v in history.series(metric, version_id=version_id)}
    estimated = {w.start: v for w, v in history.series(metric, source="estimated", version_id=version_id)}
    starts = [w.start for w in windows_between(min(realized), max(realized), history.size_seconds)] if realized else []

    def pick(found: dict, field: str) -> list:
        return [None if found.get(s) is None else getattr(found[s], field) for s in starts]

    return {"title": f"{_label(metric)} per {format_size(history.size_seconds)} window", "y_title": _label(metric),
            "x": [s.isoformat() for s in starts], "value": pick(realized, "value"), "low": pick(realized, "low"),
            "high": pick(realized, "high"), "estimated": pick(estimated, "value"),
            "threshold": None if objective is None else objective.threshold,
            "comparator": None if objective is None else objective.comparator}


def performance_figure(history: PerformanceHistory, metric: str, version_id: int,
                       objective: Objective | None = None) -> go.Figure:
    """``metric`` of ``version_id`` per stored window, realized with its interval and estimated."""
    return interval_series_figure(performance_series(history, metric, version_id, objective))
