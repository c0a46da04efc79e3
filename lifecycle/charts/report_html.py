"""The validation report as one self-contained HTML file: verdicts, metrics and the same charts the
Validate page draws, with plotly.js inlined so the file opens anywhere, offline, as it was."""
from __future__ import annotations

import html
from datetime import datetime

import plotly.graph_objects as go

from lifecycle.charts import validation_charts as charts
from lifecycle.validate.report import ValidationReport

_STYLE = """
body{font-family:Inter,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#1f2328}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
th{background:#f6f8fa}.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
.pending{color:#9a6700;font-weight:600}.chart{margin:1rem 0}small{color:#57606a}
"""
_WORDS = {"pass": "✓ pass", "fail": "✗ fail"}


def _figures(report: ValidationReport) -> list[go.Figure]:
    figures = [charts.metrics_figure(report.metrics, report.verdicts)]
    if report.task == "regression":
        figures += [charts.residual_scatter_figure(report.residuals), charts.residual_histogram_figure(report.residuals)]
    else:
        figures.append(charts.confusion_figure(report.confusion))
        if report.task == "binary":
            figures += [charts.roc_figure(report.roc, report.metrics.get("roc_auc")),
                        charts.precision_recall_figure(report.precision_recall, report.metrics.get("average_precision")),
                        charts.calibration_figure(report.calibration)]
            if report.thresholds is not None:
                figures.append(charts.threshold_figure(report.thresholds, report.decision_threshold))
    if report.robustness:
        figures.append(charts.robustness_figure(report.robustness, report.primary_metric))
    for column in sorted({s.column for s in report.slices}):
        figures.append(charts.slices_figure(report.slices, column, report.primary_metric))
    return figures


def _number(value) -> str:
    return "—" if value is None else f"{value:.4g}"


def report_html(report: ValidationReport, *, project: str, model: str, created_at: datetime, created_by: str) -> str:
    """The whole report as one HTML document (no network needed to open it)."""
    e = html.escape
    verdict = "pass" if report.passed else "fail"
    rows = "".join(
        f"<tr><td>{e(v.objective)}</td><td>{'blocking' if v.blocking else 'advisory'}</td>"
        f"<td>{_number(v.value)}</td><td class='{e(str(v.status))}'>{e(_WORDS.get(str(v.status), str(v.status)))}</td>"
        f"<td>{e(v.reason)}</td></tr>" for v in report.verdicts)
    metrics = "".join(f"<tr><td>{e(name)}</td><td>{_number(m.value)}</td><td>{_number(m.low)}</td>"
                      f"<td>{_number(m.high)}</td><td>{m.n:,}</td></tr>" for name, m in report.metrics.items())
    charts_html = []
    for number, figure in enumerate(_figures(report)):
        # plotly.js goes inline once, with the first chart: the file needs no network.
        charts_html.append("<div class='chart'>" + figure.to_html(full_html=False, include_plotlyjs=number == 0)
                           + "</div>")
    notes = "".join(f"<li>{e(n)}</li>" for n in report.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Validation report — {e(project)} {e(model)}</title>
<style>{_STYLE}</style></head><body>
<h1>Validation report: {e(project)}, model {e(model)}</h1>
<p>Verdict: <span class="{verdict}">{_WORDS[verdict]}</span> — {e(report.summary)}<br>
<small>{report.task} task · {report.n_test:,} test rows, {report.n_train:,} training rows · seed {report.seed},
{report.n_bootstrap} bootstrap resamples for the 95% intervals · validated by {e(created_by)} on
{created_at:%Y-%m-%d %H:%M} UTC</small></p>
<h2>Objectives</h2>
<table><tr><th>Objective</th><th>Kind</th><th>Value</th><th>Verdict</th><th>Why</th></tr>{rows}</table>
<h2>Metrics on the test split</h2>
<table><tr><th>Metric</th><th>Value</th><th>95% low</th><th>95% high</th><th>Rows</th></tr>{metrics}</table>
<h2>Overfitting</h2><p>{e(report.overfitting.reason)}</p>
{'<h2>Notes</h2><ul>' + notes + '</ul>' if notes else ''}
<h2>Charts</h2>
{''.join(charts_html)}
</body></html>
"""
