"""One look for every chart: fonts, margins, colours, and the pass/fail/pending palette."""
from __future__ import annotations

import plotly.graph_objects as go

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
    """Title, axis titles (with units), margins and hover style; returns ``fig`` for chaining."""
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        hoverlabel={"bgcolor": "white", "font_size": 12},
        showlegend=False,
        bargap=0.05,
    )
    if height is not None:
        fig.update_layout(height=height)
    fig.update_xaxes(title_text=x_title, showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=y_title, gridcolor="#eaeef2", zeroline=False)
    return fig


def empty_note(fig: go.Figure, note: str) -> go.Figure:
    """A chart with nothing to draw says why, in the middle, with its axes hidden."""
    fig.add_annotation(text=note, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font={"color": MUTED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
