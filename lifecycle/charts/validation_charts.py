"""Charts of a validation report: confusion matrix, ROC, precision–recall, calibration,
threshold and cost, residuals, robustness, slices, and metrics with their intervals against
the objectives. Each function reads parts of a ``ValidationReport`` and returns a Figure."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lifecycle.charts.theme import literal_chart
from lifecycle.literal import literal
from lifecycle.charts.theme import empty_note as _empty
from lifecycle.charts.theme import (MUTED, PENDING, PRIMARY, STATUS_COLOURS, STATUS_ICONS,
                                    apply_theme)
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.validate.curves import CalibrationCurve, ConfusionMatrix, Curve, Residuals
from lifecycle.validate.metrics import MetricEstimate
from lifecycle.validate.robustness import RobustnessCheck
from lifecycle.validate.slices import MIN_SLICE, SliceMetrics
from lifecycle.validate.threshold import ThresholdAnalysis
from lifecycle.validate.verdicts import Status

_ROW_HEIGHT = 80
# verdict status -> the palette key (theme.STATUS_COLOURS / STATUS_ICONS)
_VERDICT_STATUS = {Status.PASS: "pass", Status.FAIL: "fail", Status.NOT_JUDGED: "pending"}


def _label(metric: str) -> str:
    spec = CATALOGUE.get(metric)
    return spec.label if spec else metric


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _interval_text(estimate: MetricEstimate | None) -> str:
    if estimate is None or estimate.value is None:
        return ""
    if estimate.low is None:
        return _fmt(estimate.value)
    return f"{_fmt(estimate.value)} (95% CI {_fmt(estimate.low)}–{_fmt(estimate.high)})"


def _titled(title: str, short: str, estimate: MetricEstimate | None) -> str:
    text = _interval_text(estimate)
    return f"{title} — {short} {text}" if text else title


@literal_chart
def confusion_figure(matrix: ConfusionMatrix | None) -> go.Figure:
    """Counts as a heatmap, true classes down and predicted across; hover shows row shares."""
    title = "Confusion matrix" + ("" if matrix is None or matrix.threshold is None
                                  else f" at threshold {matrix.threshold:g}")
    fig = apply_theme(go.Figure(), title, "Predicted class", "True class")
    if matrix is None or not matrix.labels:
        return _empty(fig, "No confusion matrix for this task.")
    shares = [[c / max(sum(row), 1) for c in row] for row in matrix.counts]
    fig.add_heatmap(z=[list(row) for row in matrix.counts], x=list(matrix.labels),
                    y=list(matrix.labels), colorscale="Blues", showscale=False,
                    text=[[f"{c:,}" for c in row] for row in matrix.counts],
                    texttemplate="%{text}", customdata=shares,
                    hovertemplate="true %{y}, predicted %{x}<br>%{z:,} rows "
                                  "(%{customdata:.1%} of the true class)<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    return fig


@literal_chart
def roc_figure(curve: Curve | None, auc: MetricEstimate | None = None) -> go.Figure:
    fig = apply_theme(go.Figure(), _titled("ROC curve", "AUC", auc),
                      "False positive rate", "True positive rate")
    if curve is None:
        return _empty(fig, "The ROC curve needs both classes in the test rows.")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": MUTED},
                    hoverinfo="skip", name="chance")
    fig.add_scatter(x=list(curve.x), y=list(curve.y), mode="lines", line={"color": PRIMARY},
                    customdata=list(curve.thresholds), name="model",
                    hovertemplate="FPR %{x:.3f}, TPR %{y:.3f}<br>threshold %{customdata:.3f}"
                                  "<extra></extra>")
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return fig


@literal_chart
def precision_recall_figure(curve: Curve | None, average_precision: MetricEstimate | None = None,
                            prevalence: float | None = None) -> go.Figure:
    fig = apply_theme(go.Figure(), _titled("Precision–recall curve", "AP", average_precision),
                      "Recall", "Precision")
    if curve is None:
        return _empty(fig, "The precision–recall curve needs positive rows in the test set.")
    if prevalence is not None:
        fig.add_hline(y=prevalence, line_dash="dash", line_color=MUTED,
                      annotation_text=f"share of positives {prevalence:.1%}")
    fig.add_scatter(x=list(curve.x), y=list(curve.y), mode="lines", line={"color": PRIMARY},
                    customdata=list(curve.thresholds),
                    hovertemplate="recall %{x:.3f}, precision %{y:.3f}<br>threshold "
                                  "%{customdata:.3f}<extra></extra>")
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return fig


@literal_chart
def calibration_figure(curve: CalibrationCurve | None) -> go.Figure:
    fig = apply_theme(go.Figure(), f"Calibration ({curve.bins if curve else 10} bins)",
                      "Mean predicted probability", "Observed share of positives")
    if curve is None:
        return _empty(fig, "Calibration needs both classes in the test rows.")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": MUTED},
                    hoverinfo="skip")
    fig.add_scatter(x=list(curve.predicted), y=list(curve.observed), mode="lines+markers",
                    line={"color": PRIMARY}, customdata=list(curve.counts),
                    hovertemplate="predicted %{x:.3f}, observed %{y:.3f}<br>%{customdata:,} rows"
                                  "<extra></extra>")
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return fig


@literal_chart
def threshold_figure(analysis: ThresholdAnalysis | None,
                     decision_threshold: float | None = None) -> go.Figure:
    """Precision, recall and F1 against the threshold, the expected cost per row on a second
    axis, and the best (and the chosen, if different) threshold marked."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    apply_theme(fig, "Decision threshold", "Threshold (positive when probability ≥ it)",
                "Precision, recall, F1")
    if analysis is None:
        return _empty(fig, "Threshold analysis applies to binary tasks.")
    t = list(analysis.thresholds)
    for name, values, dash in (("precision", analysis.precision, "solid"),
                               ("recall", analysis.recall, "dot"), ("F1", analysis.f1, "dash")):
        fig.add_scatter(x=t, y=list(values), mode="lines", name=name,
                        line={"dash": dash, "color": PRIMARY if name == "F1" else MUTED},
                        hovertemplate=f"threshold %{{x:.2f}}: {name} %{{y:.3f}}<extra></extra>")
    if analysis.cost is not None:
        fig.add_scatter(x=t, y=list(analysis.cost), mode="lines", name="expected cost per row",
                        line={"color": PENDING}, secondary_y=True,
                        hovertemplate="threshold %{x:.2f}: cost %{y:.3f} per row<extra></extra>")
        fig.update_yaxes(title_text=f"Expected cost per row (FN {analysis.cost_fn:g}, "
                                    f"FP {analysis.cost_fp:g})", secondary_y=True,
                         showgrid=False, tickformat=".3g")
    best = "lowest cost" if analysis.criterion == "cost" else "highest F1"
    fig.add_vline(x=analysis.best_threshold, line_color=PRIMARY, line_dash="dash",
                  annotation_text=f"{best}: {analysis.best_threshold:g}")
    if decision_threshold is not None and decision_threshold != analysis.best_threshold:
        fig.add_vline(x=decision_threshold, line_color=PENDING,
                      annotation_text=f"chosen: {decision_threshold:g}",
                      annotation_position="bottom right")
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(range=[0, 1.02], secondary_y=False)
    return fig


@literal_chart
def residual_scatter_figure(residuals: Residuals | None, unit: str = "") -> go.Figure:
    suffix = f" ({unit})" if unit else ""
    sample = "" if residuals is None or len(residuals.actual) == residuals.rows else \
        f" (sample of {len(residuals.actual):,} of {residuals.rows:,})"
    fig = apply_theme(go.Figure(), "Predicted against actual" + sample, "Actual" + suffix,
                      "Predicted" + suffix)
    if residuals is None or not residuals.actual:
        return _empty(fig, "Residuals apply to regression tasks.")
    values = [v for v in residuals.actual + residuals.predicted if v is not None]
    low, high = min(values), max(values)
    fig.add_scatter(x=[low, high], y=[low, high], mode="lines", hoverinfo="skip",
                    line={"dash": "dash", "color": MUTED})
    fig.add_scatter(x=list(residuals.actual), y=list(residuals.predicted), mode="markers",
                    marker={"color": PRIMARY, "size": 5, "opacity": 0.5},
                    hovertemplate="actual %{x:,.4g}, predicted %{y:,.4g}<extra></extra>")
    return fig


@literal_chart
def residual_histogram_figure(residuals: Residuals | None, unit: str = "") -> go.Figure:
    suffix = f" ({unit})" if unit else ""
    fig = apply_theme(go.Figure(), "Residuals (predicted − actual)", "Residual" + suffix,
                      "Rows (count)")
    if residuals is None or not residuals.histogram_counts:
        return _empty(fig, "Residuals apply to regression tasks.")
    edges = residuals.histogram_edges
    fig.add_bar(x=[(a + b) / 2 for a, b in zip(edges, edges[1:])],
                y=list(residuals.histogram_counts), width=[b - a for a, b in zip(edges, edges[1:])],
                marker_color=PRIMARY,
                customdata=[[a, b] for a, b in zip(edges, edges[1:])],
                hovertemplate="[%{customdata[0]:,.4g}, %{customdata[1]:,.4g}): %{y:,} rows"
                              "<extra></extra>")
    fig.add_vline(x=0, line_color=MUTED, line_dash="dash")
    return fig


@literal_chart
def robustness_figure(checks: tuple[RobustnessCheck, ...], metric: str) -> go.Figure:
    """The drop from the clean score under each perturbation (positive: worse)."""
    fig = apply_theme(go.Figure(), f"Robustness: drop in {_label(metric)}",
                      f"Drop from the clean {_label(metric)} (positive = worse)", "")
    scored = [c for c in checks if c.drop is not None]
    if not scored:
        return _empty(fig, "No perturbation could be scored.")
    fig.add_bar(y=[c.label for c in scored], x=[c.drop for c in scored], orientation="h",
                marker_color=[PRIMARY if c.drop > 0 else MUTED for c in scored],
                customdata=[[c.score, len(c.columns)] for c in scored],
                hovertemplate="%{y}<br>score %{customdata[0]:.4g}, drop %{x:.4g}<br>"
                              "%{customdata[1]} columns perturbed<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.add_vline(x=0, line_color=MUTED)
    fig.update_layout(height=max(300, 40 * len(scored) + 120))
    return fig


@literal_chart
def slices_figure(slices: tuple[SliceMetrics, ...], column: str, metric: str,
                  overall: float | None = None) -> go.Figure:
    """``metric`` per slice of ``column``; slices under MIN_SLICE rows are greyed and say so."""
    fig = apply_theme(go.Figure(), f"{_label(metric)} by {column}", column, _label(metric))
    rows = [s for s in slices if s.column == column]
    if not rows:
        return _empty(fig, f"No slices of {column!r}.")
    values = [s.metrics.get(metric) for s in rows]
    fig.add_bar(x=[s.value for s in rows], y=[0 if v is None else v for v in values],
                marker_color=[MUTED if s.small or v is None else PRIMARY
                              for s, v in zip(rows, values)],
                text=["n/a" if v is None else ("too small" if s.small else "")
                      for s, v in zip(rows, values)], textposition="outside",
                customdata=[[s.rows, _fmt(v), "too small to read" if s.small else "",
                             s.note] for s, v in zip(rows, values)],
                hovertemplate=f"{literal(column)} = %{{x}}<br>{_label(metric)} %{{customdata[1]}}<br>"
                              "%{customdata[0]:,} rows %{customdata[2]}<br>%{customdata[3]}"
                              "<extra></extra>")
    if overall is not None:
        fig.add_hline(y=overall, line_dash="dash", line_color=MUTED,
                      annotation_text=f"all test rows: {overall:.3g}")
    fig.update_xaxes(type="category")
    fig.add_annotation(text=f"grey: fewer than {MIN_SLICE} rows, too small to read",
                       showarrow=False, xref="paper", yref="paper", x=1, y=1.08,
                       xanchor="right", font={"size": 11, "color": MUTED})
    return fig


@literal_chart
def metrics_figure(metrics: dict[str, MetricEstimate], verdicts=()) -> go.Figure:
    """Each metric with its 95% interval, one row each (own scale); a metric with an
    objective shows the threshold line and its status in colour AND icon and word."""
    names = [n for n, e in metrics.items() if e.value is not None]
    fig = make_subplots(rows=max(len(names), 1), cols=1, vertical_spacing=0.35 / max(len(names), 1))
    apply_theme(fig, "Test metrics with 95% bootstrap intervals", "", "",
                height=max(250, _ROW_HEIGHT * len(names) + 100))
    if not names:
        return _empty(fig, "No metric could be computed on the test rows.")
    by_metric = {}
    for v in verdicts:
        if v.kind == "performance":
            by_metric.setdefault(v.metric, v)
    for row, name in enumerate(names, start=1):
        e, verdict = metrics[name], by_metric.get(name)
        status = _VERDICT_STATUS.get(verdict.status, "pending") if verdict else None
        colour = STATUS_COLOURS[status] if status else PRIMARY
        low, high = (e.low, e.high) if e.low is not None else (e.value, e.value)
        fig.add_scatter(x=[e.value], y=[_label(name)], mode="markers", row=row, col=1,
                        marker={"color": colour, "size": 11,
                                "symbol": {"pass": "circle", "fail": "x"}.get(status, "diamond")},
                        error_x={"type": "data", "symmetric": False,
                                 "array": [max(high - e.value, 0)],
                                 "arrayminus": [max(e.value - low, 0)], "color": colour},
                        hovertemplate=f"{_label(name)} %{{x:.4g}}<br>95% CI {_fmt(e.low)} to "
                                      f"{_fmt(e.high)}<br>{e.n:,} test rows<extra></extra>")
        if verdict is not None:
            span = [v for v in (low, high, verdict.threshold) if v is not None]
            pad = (max(span) - min(span)) * 0.08 or 0.01
            fig.update_xaxes(range=[min(span) - pad, max(span) + pad], row=row, col=1)
            fig.add_vline(x=verdict.threshold, line_dash="dash", line_color=colour, row=row,
                          col=1)
            word = {"pass": "pass", "fail": "fail"}.get(status, "not judged")
            fig.add_annotation(text=f"{STATUS_ICONS[status]} {word}: {verdict.objective}",
                               xref="x domain" if row == 1 else f"x{row} domain",
                               yref="y domain" if row == 1 else f"y{row} domain", x=1, y=1.35,
                               xanchor="right", showarrow=False,
                               font={"size": 12, "color": colour})
    fig.update_yaxes(title_text="")
    return fig
