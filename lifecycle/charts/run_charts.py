"""Charts of stage 3: the leaderboard, params against the score, learning curves, per-fold comparison.

Each function reads run records or the plain dicts of :mod:`lifecycle.develop.runs` and returns a
plotly Figure.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import plotly.graph_objects as go

from lifecycle.charts.theme import literal_chart
from lifecycle.charts.theme import empty_note as _empty
from lifecycle.charts.theme import FAIL, MUTED, PASS, PRIMARY, apply_theme
from lifecycle.problem.objectives import CATALOGUE as METRICS
from lifecycle.records import Objective
from lifecycle.records import Leaderboard, Run

PALETTE = ("#0969da", "#bc4c00", "#1a7f37", "#8250df", "#cf222e", "#116329", "#9a6700", "#57606a")
_BAR_HEIGHT = 26


def _label(metric: str) -> str:
    spec = METRICS.get(metric)
    if spec is None:
        return metric
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def run_label(run: Run) -> str:
    return f"#{run.id} {run.algorithm}"


@literal_chart
def leaderboard_figure(board: Leaderboard, *, objective: Objective | None = None, top: int = 20) -> go.Figure:
    """Mean CV score of the best runs with ± one std over folds; the objective as a line."""
    runs = [r for r in board.runs if r.metric(board.metric) is not None][:top]
    direction = "higher is better" if board.higher_is_better else "lower is better"
    fig = go.Figure()
    apply_theme(fig, f"Leaderboard by {_label(board.metric)}", f"{_label(board.metric)}, mean over folds "
                f"({direction})", "Run", height=max(260, 90 + _BAR_HEIGHT * len(runs)))
    if not runs:
        return _empty(fig, "No finished runs yet: start a search to fill the leaderboard.")
    labels = [run_label(r) for r in runs]
    means = [r.metric(board.metric) for r in runs]
    stds = [r.metric_std(board.metric) or 0.0 for r in runs]
    colours = [PRIMARY] * len(runs)
    if objective is not None and objective.metric == board.metric:
        met = [m >= objective.threshold if objective.comparator == ">=" else m <= objective.threshold for m in means]
        colours = [PASS if ok else FAIL for ok in met]
        fig.add_vline(x=objective.threshold, line_dash="dash", line_color=MUTED,
                      annotation_text=f"objective {objective}", annotation_font_size=11)
    fig.add_bar(y=labels, x=means, orientation="h", marker_color=colours,
                error_x={"type": "data", "array": stds, "color": MUTED},
                customdata=[[s, r.n_samples, ", ".join(f"{k}={v}" for k, v in r.params.items()) or "defaults"]
                            for s, r in zip(stds, runs)],
                hovertemplate="%{y}<br>%{x:.4f} ± %{customdata[0]:.4f}<br>%{customdata[1]:,} rows"
                              "<br>%{customdata[2]}<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    low = min(m - s for m, s in zip(means, stds))
    high = max(m + s for m, s in zip(means, stds))
    pad = (high - low) * 0.1 or 0.05
    fig.update_xaxes(range=[low - pad, high + pad])
    return fig


def _dimension(name: str, values: list[Any]) -> dict[str, Any]:
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric:
        return {"label": name, "values": [float(v) for v in values]}
    texts = ["null" if v is None else str(v) for v in values]
    order = sorted(set(texts))
    codes = {t: i for i, t in enumerate(order)}
    return {"label": name, "values": [codes[t] for t in texts], "tickvals": list(range(len(order))),
            "ticktext": order}


@literal_chart
def parallel_coordinates_figure(rows: Sequence[dict[str, Any]], metric: str) -> go.Figure:
    """One line per run through its params and its score (colour = score); text params coded."""
    spec = METRICS.get(metric)
    fig = go.Figure()
    apply_theme(fig, f"Parameters against {_label(metric)}", "", "")
    rows = [r for r in rows if r.get(metric) is not None]
    params = sorted({k for r in rows for k in r if k not in ("run_id", metric)})
    if len(rows) < 2 or not params:
        return _empty(fig, "Needs at least two finished runs of one algorithm with searched parameters.")
    dimensions = [_dimension(p, [r.get(p) for r in rows]) for p in params]
    scores = [float(r[metric]) for r in rows]
    dimensions.append({"label": metric, "values": scores})
    higher = spec.higher_is_better if spec else True
    fig.add_trace(go.Parcoords(dimensions=dimensions,
                               line={"color": scores, "colorscale": "Viridis", "reversescale": not higher,
                                     "showscale": True, "colorbar": {"title": {"text": metric}}}))
    fig.update_layout(margin={"l": 80, "r": 80, "t": 80, "b": 40})
    return fig


def _band(fig: go.Figure, x: list[float], mean: list[float], std: list[float], colour: str, name: str) -> None:
    upper = [m + s for m, s in zip(mean, std)]
    lower = [m - s for m, s in zip(mean, std)]
    fig.add_scatter(x=x + x[::-1], y=upper + lower[::-1], fill="toself", fillcolor=colour, opacity=0.15,
                    line={"width": 0}, hoverinfo="skip", showlegend=False, name=f"{name} ± std")
    fig.add_scatter(x=x, y=mean, mode="lines+markers", line={"color": colour}, name=name,
                    customdata=std, hovertemplate=f"{name}<br>%{{x:,}} rows: %{{y:.4f}} ± %{{customdata:.4f}}"
                                                  "<extra></extra>")


@literal_chart
def learning_curve_figure(curve: dict[str, Any]) -> go.Figure:
    """Train and cross-validation score against training rows, each with a ± one std band."""
    metric = curve["metric"]
    fig = go.Figure()
    apply_theme(fig, f"Learning curve of run #{curve['run_id']}", "Training rows (count)",
                f"{_label(metric)}")
    sizes = [float(n) for n in curve["train_sizes"]]
    if not sizes:
        return _empty(fig, "No points to plot.")
    _band(fig, sizes, curve["train_mean"], curve["train_std"], PALETTE[1], "Training score")
    _band(fig, sizes, curve["cv_mean"], curve["cv_std"], PALETTE[0], "Cross-validation score")
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.2})
    return fig


@literal_chart
def fold_comparison_figure(runs: Sequence[Run], metric: str) -> go.Figure:
    """The metric on every CV fold for each chosen run (runs with the same seed and rows share folds)."""
    fig = go.Figure()
    apply_theme(fig, f"{_label(metric)} per fold", "Fold", _label(metric))
    chosen = [r for r in runs if r.cv_metrics.get(metric)]
    if not chosen:
        return _empty(fig, f"None of the chosen runs has {metric} on record (failed runs have no metrics).")
    for i, run in enumerate(chosen):
        folds = run.cv_metrics[metric]["folds"]
        values = [math.nan if v is None else v for v in folds]
        fig.add_scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                        line={"color": PALETTE[i % len(PALETTE)]}, name=run_label(run),
                        hovertemplate=f"{run_label(run)}<br>fold %{{x}}: %{{y:.4f}}<extra></extra>")
    fig.update_xaxes(dtick=1)
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.2})
    return fig
