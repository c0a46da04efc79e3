"""Charts of a SHAP explanation, in source columns: global importance, beeswarm, dependence with
an interaction colour, and a waterfall for one row. Each reads an ``Explanation`` (or one row's
``LocalExplanation``) and returns a Figure; nothing is recomputed here but display jitter."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lifecycle.charts.theme import literal_chart
from lifecycle.literal import literal
from lifecycle.charts.theme import FAIL, MUTED, PRIMARY, apply_theme, empty_note
from lifecycle.review.explain import Explanation, LocalExplanation
from lifecycle.review.explain_summary import numeric_codes

TOP_COLUMNS = 12  # columns shown before the rest are folded into "other columns"
_ROW_HEIGHT = 34
_SCALE = [[0.0, PRIMARY], [1.0, FAIL]]  # low value blue, high value red, as in SHAP's own plots
_JITTER = 0.32


def _height(count: int) -> int:
    return max(260, 90 + _ROW_HEIGHT * count)


@literal_chart
def importance_figure(explanation: Explanation | None, top: int = TOP_COLUMNS) -> go.Figure:
    """Mean |SHAP| per source column, the largest at the top."""
    if explanation is None or not explanation.importance:
        return empty_note(apply_theme(go.Figure(), "Global importance", "", ""), "No explanation yet.")
    items = list(explanation.importance.items())[:top]
    fig = apply_theme(go.Figure(), "Global importance — which columns move the model most",
                      f"mean |SHAP value| ({explanation.output})", "", height=_height(len(items)))
    fig.add_bar(x=[v for _, v in items], y=[c for c, _ in items], orientation="h", marker_color=PRIMARY,
                hovertemplate="%{y}: %{x:.4g}<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _colour_values(explanation: Explanation, column: str) -> np.ndarray:
    """Feature values scaled to 0..1 by rank (robust to outliers); NaN when empty."""
    codes = numeric_codes(explanation.features[column])
    present = ~np.isnan(codes)
    scaled = np.full(len(codes), np.nan)
    if present.any():
        ranks = codes[present].argsort().argsort()
        scaled[present] = ranks / max(present.sum() - 1, 1)
    return scaled


@literal_chart
def beeswarm_figure(explanation: Explanation | None, top: int = TOP_COLUMNS, seed: int = 0) -> go.Figure:
    """One row of dots per column: each dot a test row at its SHAP value, coloured by the
    column's value (blue low, red high; grey for empty). Vertical spread is only jitter."""
    if explanation is None or explanation.rows == 0:
        return empty_note(apply_theme(go.Figure(), "Beeswarm", "", ""), "No explanation yet.")
    columns = list(explanation.importance)[:top]
    fig = apply_theme(go.Figure(), "Beeswarm — every explained row, by column",
                      f"SHAP value ({explanation.output})", "", height=_height(len(columns)))
    rng = np.random.default_rng(seed)
    for position, column in enumerate(columns):
        index = explanation.columns.index(column)
        colours = _colour_values(explanation, column)
        y = position + rng.uniform(-_JITTER, _JITTER, explanation.rows)
        shown = [("" if v is None else str(v)) for v in explanation.features[column]]
        fig.add_scattergl(x=explanation.values[:, index], y=y, mode="markers", name=column,
                          marker={"size": 5, "opacity": 0.7, "color": np.nan_to_num(colours, nan=0.5),
                                  "colorscale": _SCALE, "cmin": 0, "cmax": 1,
                                  "showscale": position == 0,
                                  "colorbar": {"title": "value", "tickvals": [0, 1], "ticktext": ["low", "high"]}},
                          customdata=shown,
                          hovertemplate=f"{literal(column)} = %{{customdata}}<br>SHAP %{{x:.4g}}<extra></extra>")
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(columns))), ticktext=columns,
                     autorange="reversed", showgrid=False)
    fig.add_vline(x=0, line_color=MUTED, line_width=1)
    return fig


@literal_chart
def dependence_figure(explanation: Explanation | None, column: str, colour_by: str | None = None) -> go.Figure:
    """SHAP value of ``column`` against its value, coloured by ``colour_by`` (by default the
    column it interacts with most)."""
    title = f"Dependence — {column}"
    if explanation is None or column not in explanation.columns:
        return empty_note(apply_theme(go.Figure(), title, "", ""), "Pick an explained column.")
    if colour_by is None:
        colour_by = explanation.interactions.get(column)
    index = explanation.columns.index(column)
    x = explanation.features[column]
    fig = apply_theme(go.Figure(), title + (f", coloured by {colour_by}" if colour_by else ""), column,
                      f"SHAP value of {column}")
    marker: dict = {"size": 6, "opacity": 0.75, "color": PRIMARY}
    custom = [""] * explanation.rows
    if colour_by and colour_by in explanation.features:
        marker.update(color=np.nan_to_num(_colour_values(explanation, colour_by), nan=0.5), colorscale=_SCALE,
                      cmin=0, cmax=1, showscale=True,
                      colorbar={"title": literal(colour_by), "tickvals": [0, 1], "ticktext": ["low", "high"]})
        custom = [("" if v is None else str(v)) for v in explanation.features[colour_by]]
    categorical = explanation.kinds.get(column) == "categorical"
    shown_x = ["(empty)" if v is None else str(v) for v in x] if categorical else x
    fig.add_scattergl(x=shown_x, y=explanation.values[:, index], mode="markers", marker=marker, customdata=custom,
                      hovertemplate=f"{literal(column)} = %{{x}}<br>SHAP %{{y:.4g}}"
                                    + (f"<br>{literal(colour_by)} = %{{customdata}}" if colour_by else "") + "<extra></extra>")
    if categorical:
        fig.update_xaxes(type="category")
    fig.add_hline(y=0, line_color=MUTED, line_width=1)
    return fig


def _on_the_axis(local: LocalExplanation) -> str:
    """This row's output in the chart's own unit, so the title and the bars read on one scale; a
    value in log-odds also says the probability it stands for (the logistic function of it)."""
    said = f"this row: {local.value:.3f} in {local.output}"
    if local.output.startswith("log-odds"):
        said += f" = probability {1 / (1 + math.exp(-local.value)):.3f}"
    return said


@literal_chart
def waterfall_figure(local: LocalExplanation | None, top: int = TOP_COLUMNS, title: str = "One row") -> go.Figure:
    """From the base value (the average output) through each column's push to this row's output."""
    if local is None:
        return empty_note(apply_theme(go.Figure(), title, "", ""), "Pick a row.")
    items = list(local.contributions.items())
    shown, rest = items[:top], items[top:]
    labels = [f"{c} = {local.features.get(c)}" for c, _ in shown]
    pushes = [v for _, v in shown]
    if rest:
        labels.append(f"{len(rest)} other columns")
        pushes.append(sum(v for _, v in rest))
    fig = apply_theme(go.Figure(), f"{title} — {local.prediction} · {_on_the_axis(local)}", local.output, "",
                      height=_height(len(labels) + 2))
    fig.add_waterfall(
        orientation="h", measure=["absolute"] + ["relative"] * len(pushes) + ["total"],
        y=["average output (base)"] + labels + ["this row"], x=[local.base_value] + pushes + [local.value],
        base=0, increasing={"marker": {"color": FAIL}}, decreasing={"marker": {"color": PRIMARY}},
        totals={"marker": {"color": MUTED}}, connector={"line": {"color": MUTED, "width": 1}},
        hovertemplate="%{y}: %{x:.4g}<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig
