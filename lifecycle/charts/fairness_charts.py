"""Charts of a fairness review: per-group metric bars (with group sizes and small-group flags)
and the differences and ratios with their bootstrap intervals against the project's fairness
objectives. Each function reads parts of a ``FairnessReport`` and returns a Figure."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lifecycle.charts.theme import literal_chart
from lifecycle.charts.theme import MUTED, PENDING, PRIMARY, STATUS_COLOURS, apply_theme, empty_note
from lifecycle.validate.fairness_review import FairnessReport, GroupingReview, judge, label
from lifecycle.validate.verdicts import Status
from lifecycle.records import Objective

_BAR_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")
_SERIES_COLOURS = (PRIMARY, "#8250df", "#bf8700", "#1b7c83", "#cf222e", "#57606a")


def bar_metrics(grouping: GroupingReview) -> tuple[str, ...]:
    """What the bars show: selection, true and false positive rates (binary); each class's
    selection rate and accuracy (multiclass); MAE and RMSE (regression)."""
    known = list(grouping.groups[0].metrics) if grouping.groups else []
    chosen = [m for m in _BAR_METRICS if m in known]
    if not chosen:
        chosen = [m for m in known if m.startswith("selection_rate:")] + [m for m in ("accuracy",) if m in known]
    return tuple(chosen or [m for m in ("mae", "rmse") if m in known])


def _group_axis_label(group) -> str:
    return f"{group.group}<br>n={group.count:,}" + (" ⚠ small" if group.small else "")


@literal_chart
def group_metrics_figure(grouping: GroupingReview | None, metrics: tuple[str, ...] | None = None,
                         min_group_size: int | None = None) -> go.Figure:
    """Grouped bars, one colour per metric; groups under the minimum size are hatched and
    pale, and marked 'small' under their name."""
    title = "Metrics by group" + ("" if grouping is None else f" — {grouping.name}")
    fig = apply_theme(go.Figure(), title, "Group (rows)", "Value")
    if grouping is None or not grouping.groups:
        return empty_note(fig, "No groups to show.")
    metrics = metrics or bar_metrics(grouping)
    x = [_group_axis_label(g) for g in grouping.groups]
    why_small = (f"under {min_group_size} rows: " if min_group_size else "") + "not compared"
    for i, metric in enumerate(metrics):
        fig.add_bar(
            x=x, y=[g.metrics.get(metric) for g in grouping.groups], name=label(metric),
            marker={"color": _SERIES_COLOURS[i % len(_SERIES_COLOURS)],
                    "opacity": [0.45 if g.small else 1.0 for g in grouping.groups],
                    "pattern": {"shape": ["/" if g.small else "" for g in grouping.groups]}},
            customdata=[[g.count, why_small if g.small else "compared"] for g in grouping.groups],
            hovertemplate=f"{label(metric)}: %{{y:.3f}}<br>%{{customdata[0]:,}} rows, "
                          "%{customdata[1]}<extra></extra>")
    fig.update_layout(barmode="group", showlegend=True,
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    fig.update_xaxes(type="category")
    return fig


_JUDGED_COLOURS = {Status.NO_OBJECTIVE: PRIMARY, Status.PASS: STATUS_COLOURS["pass"],
                   Status.FAIL: STATUS_COLOURS["fail"], Status.UNCERTAIN: PENDING}


@literal_chart
def disparities_figure(report: FairnessReport | None, objectives: tuple[Objective, ...] = ()) -> go.Figure:
    """One panel per difference or ratio: each grouping's value with its bootstrap interval
    (error bars); a dashed line at the threshold of any fairness objective on that metric.
    Points are green when the interval meets the objective, amber when it straddles the
    threshold, red when the value fails."""
    if report is None or not any(d.value is not None for g in report.groupings for d in g.disparities):
        fig = apply_theme(go.Figure(), "Differences and ratios", "Value", "Grouping")
        return empty_note(fig, "No grouping has two groups large enough to compare.")
    names = list(report.disparity_names)
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[label(m) for m in names])
    by_metric = {o.metric: o for o in objectives}
    groupings = [g.name for g in report.groupings]
    for col, metric in enumerate(names, start=1):
        found = [g.disparity(metric) for g in report.groupings]
        values = [d.value if d else None for d in found]
        objective = by_metric.get(metric)
        fig.add_scatter(
            x=values, y=groupings, mode="markers", row=1, col=col, name=label(metric),
            marker={"size": 11, "color": [_JUDGED_COLOURS[judge(objective, d)] if d and d.value is not None
                                          else MUTED for d in found]},
            error_x={"type": "data", "symmetric": False, "color": MUTED,
                     "array": [(d.high - d.value) if d and d.value is not None and d.high is not None else 0
                               for d in found],
                     "arrayminus": [(d.value - d.low) if d and d.value is not None and d.low is not None else 0
                                    for d in found]},
            customdata=[[d.low, d.high] if d else [None, None] for d in found],
            hovertemplate=f"{label(metric)}: %{{x:.3f}}<br>95% interval %{{customdata[0]:.3f}} to "
                          "%{customdata[1]:.3f}<extra>%{y}</extra>")
        if objective is not None:
            fig.add_vline(x=objective.threshold, row=1, col=col, line_dash="dash", line_color=STATUS_COLOURS["fail"],
                          annotation_text=f"{objective.comparator} {objective.threshold:g}",
                          annotation_position="top")
    apply_theme(fig, f"Differences and ratios with {report.confidence:.0%} bootstrap intervals", "", "",
                height=140 + 60 * len(groupings))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(rangemode="tozero")
    return fig
