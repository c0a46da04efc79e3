"""Charts of a dataset profile: distributions, frequent values, gaps, and class balance.

Each function reads a ``ColumnProfile`` or ``DatasetProfile`` and returns a plotly Figure.
"""
from __future__ import annotations

import plotly.graph_objects as go

from lifecycle.charts.theme import literal_chart
from lifecycle.charts.theme import empty_note as _empty
from lifecycle.charts.theme import FAIL, MUTED, PENDING, PRIMARY, apply_theme
from lifecycle.data.profile import IMBALANCE_SHARE, ColumnProfile, DatasetProfile

_BAR_HEIGHT = 22


def _format(value: float) -> str:
    return f"{value:,.4g}"


@literal_chart
def histogram_figure(column: ColumnProfile) -> go.Figure:
    """Equal-width histogram of a numeric column; dashed lines mark the 1.5×IQR bounds."""
    fig = go.Figure()
    apply_theme(fig, f"Distribution of {column.name}", f"{column.name} (value)", "Rows (count)")
    if column.histogram is None or not sum(column.histogram.counts):
        return _empty(fig, f"No numeric values to plot in {column.name!r}.")
    edges, counts = column.histogram.edges, column.histogram.counts
    filled = sum(counts)
    centres = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    widths = [b - a for a, b in zip(edges, edges[1:])]
    labels = [f"[{_format(a)}, {_format(b)})" for a, b in zip(edges, edges[1:])]
    fig.add_bar(x=centres, y=counts, width=widths, marker_color=PRIMARY,
                customdata=[[label, n / filled] for label, n in zip(labels, counts)],
                hovertemplate="%{customdata[0]}<br>%{y:,} rows (%{customdata[1]:.1%})<extra></extra>")
    if column.outlier_bounds and column.outliers:
        low, high = column.outlier_bounds
        for bound in (low, high):
            if edges[0] <= bound <= edges[-1]:
                fig.add_vline(x=bound, line_dash="dash", line_color=PENDING,
                              annotation_text=f"1.5×IQR: {_format(bound)}", annotation_font_size=11)
    return fig


@literal_chart
def top_values_figure(column: ColumnProfile) -> go.Figure:
    """The most frequent values of a categorical or boolean column, with the rest as one bar."""
    fig = go.Figure()
    apply_theme(fig, f"Most frequent values of {column.name}", "Rows (count)", column.name)
    if not column.top_values:
        return _empty(fig, f"No value counts for {column.name!r} "
                           "(empty, or a different value in almost every row).")
    labels = [value for value, _ in column.top_values]
    counts = [n for _, n in column.top_values]
    colours = [PRIMARY] * len(labels)
    rest = column.filled - sum(counts)
    if rest > 0:
        labels.append(f"(other {column.distinct - len(counts):,} values)")
        counts.append(rest)
        colours.append(MUTED)
    if column.missing:
        labels.append("(missing)")
        counts.append(column.missing)
        colours.append(FAIL)
    shares = [n / column.rows for n in counts]
    fig.add_bar(x=counts[::-1], y=labels[::-1], orientation="h", marker_color=colours[::-1],
                customdata=shares[::-1],
                hovertemplate="%{y}: %{x:,} rows (%{customdata:.1%})<extra></extra>")
    fig.update_yaxes(type="category")
    fig.update_layout(height=max(260, 90 + _BAR_HEIGHT * len(labels)))
    return fig


@literal_chart
def missing_values_figure(profile: DatasetProfile) -> go.Figure:
    """Share of missing (NULL or NaN) values per column, largest first."""
    fig = go.Figure()
    apply_theme(fig, f"Missing values per column — {profile.dataset_label}", "Missing (% of rows)",
                "Column")
    columns = sorted(profile.columns, key=lambda c: (-c.missing_share, c.name))
    if not any(c.missing for c in columns):
        return _empty(fig, "No column has missing values.")
    fig.add_bar(x=[c.missing_share for c in columns][::-1], y=[c.name for c in columns][::-1],
                orientation="h", customdata=[c.missing for c in columns][::-1],
                marker_color=[FAIL if c.missing_share >= 0.5 else PENDING if c.missing_share >= 0.05
                              else PRIMARY for c in columns][::-1],
                hovertemplate="%{y}: %{x:.1%} missing (%{customdata:,} rows)<extra></extra>")
    fig.update_xaxes(tickformat=".0%", range=[0, max(0.05, max(c.missing_share for c in columns)) * 1.05])
    fig.update_yaxes(type="category")
    fig.update_layout(height=max(260, 90 + _BAR_HEIGHT * len(columns)))
    return fig


@literal_chart
def class_balance_figure(profile: DatasetProfile) -> go.Figure:
    """Rows per class of a classification target; a class under the imbalance share in red."""
    fig = go.Figure()
    title = f"Class balance of {profile.target}" if profile.target else "Class balance"
    apply_theme(fig, title, f"{profile.target or 'target'} (class)", "Rows (count)")
    balance = profile.class_balance
    if balance is None:
        return _empty(fig, "No classification target to show.")
    fig.add_bar(x=[s.value for s in balance.classes], y=[s.count for s in balance.classes],
                customdata=[s.share for s in balance.classes],
                marker_color=[FAIL if s.share < IMBALANCE_SHARE else PRIMARY for s in balance.classes],
                hovertemplate="%{x}: %{y:,} rows (%{customdata:.1%})<extra></extra>")
    fig.update_xaxes(type="category")
    return fig
