"""One look for every chart: fonts, margins, colours, and the pass/fail/pending palette."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import plotly.graph_objects as go

from lifecycle.literal import literal

PASS = "#1a7f37"
FAIL = "#cf222e"
PENDING = "#9a6700"
# Plain text glyphs every sans-serif font has (emoji show as empty boxes where no emoji font is installed);
# the word beside them says the status, the colour repeats it.
PASS_ICON = "✓"
FAIL_ICON = "✗"
PENDING_ICON = "…"
STATUS_COLOURS = {"pass": PASS, "fail": FAIL, "pending": PENDING}
STATUS_ICONS = {"pass": PASS_ICON, "fail": FAIL_ICON, "pending": PENDING_ICON}

PRIMARY = "#0969da"  # bars and lines with no status meaning
MUTED = "#8c959f"  # "other" buckets, reference lines
SEVERITY_COLOURS = {"problem": FAIL, "warning": PENDING, "info": PRIMARY}
FONT = "Inter, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


def apply_theme(fig: go.Figure, title: str, x_title: str, y_title: str, *,
                height: int | None = None) -> go.Figure:
    """Title, axis titles (with units), margins and hover style; returns ``fig`` for chaining.

    The titles may hold user-named text (a column, a dataset): they are written literally."""
    fig.update_layout(
        title={"text": literal(title), "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        hoverlabel={"bgcolor": "white", "font_size": 12},
        showlegend=False,
        bargap=0.05,
    )
    if height is not None:
        fig.update_layout(height=height)
    fig.update_xaxes(title_text=literal(x_title), showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=literal(y_title), gridcolor="#eaeef2", zeroline=False)
    return fig


_DATA_FIELDS = ("x", "y", "z", "text", "customdata", "labels", "hovertext", "name")


def _literal_values(value):
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, np.ndarray):
        return np.array([_literal_values(v) for v in value], dtype=object) if value.dtype.kind in "OUS" else value
    if isinstance(value, (list, tuple)):
        return [_literal_values(v) for v in value]
    return value


def literal_data(fig: go.Figure) -> go.Figure:
    """Every string a trace carries (categories, labels, hover data, names) and every tick text
    written literally: plotly renders HTML in them, and they come from the user's data."""
    if getattr(fig, "_literal_done", False):
        return fig
    for trace in fig.data:
        for field in _DATA_FIELDS:
            value = getattr(trace, field, None)
            if value is not None:
                trace[field] = _literal_values(value)
    for axes in (fig.for_each_xaxis, fig.for_each_yaxis):
        axes(lambda axis: axis.update(ticktext=_literal_values(axis.ticktext)) if axis.ticktext else None)
    fig._literal_done = True
    return fig


def literal_chart(build: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Decorate a figure function: its traces' strings reach the browser as literal text."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs) -> go.Figure:
        return literal_data(build(*args, **kwargs))
    return wrapper


def empty_note(fig: go.Figure, note: str) -> go.Figure:
    """A chart with nothing to draw says why, in the middle, with its axes hidden."""
    fig.add_annotation(text=literal(note), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font={"color": MUTED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
