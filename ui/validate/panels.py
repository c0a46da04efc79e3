"""The report sections of the Validate page: each reads the stored report, never recomputes."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.charts import validation_charts as charts
from lifecycle.records import StoredValidation
from lifecycle.validate.report import ValidationReport
from lifecycle.validate.verdicts import Status
from ui.badges import badge
from ui.frame import text

_STATUS = {Status.PASS: "pass", Status.FAIL: "fail", Status.NOT_JUDGED: "judged later"}  # -> badge style


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


REPORT_SECTIONS = ("Verdict", "Metrics & curves", "Threshold & cost", "Overfitting", "Robustness",
                   "Slices & cohorts", "Latency")


def caption(report: ValidationReport, stored: StoredValidation) -> None:
    st.caption(f"Report #{stored.id} by {text(stored.created_by)} on {stored.created_at:%Y-%m-%d %H:%M} UTC, "
               f"objectives v{stored.objectives_version}, {text(report.class_count_text)}, "
               f"{report.n_bootstrap} bootstrap resamples (seed {report.seed}).")


def render(section: str, report: ValidationReport) -> None:
    """Render one section of the stored report (only the chosen one, so a rerun stays fast)."""
    _RENDERERS[section](report)


def _verdict(report: ValidationReport) -> None:
    for item in report.verdicts:
        st.markdown(f"{badge(_STATUS.get(item.status, item.status))} **{text(item.objective)}**"
                    f"{'' if item.blocking else ' · advisory'} — {text(item.reason)}")
    if not report.verdicts:
        st.info("The project has no objectives; add them in Problem so a verdict means something.", icon=":material/flag:")
    for note in report.notes:
        st.caption(f":material/info: {text(note)}")


def _performance(report: ValidationReport) -> None:
    st.plotly_chart(charts.metrics_figure(report.metrics, report.verdicts), width="stretch")
    undefined = {name: m for name, m in report.metrics.items() if m.value is None}
    unreliable = {name: m for name, m in report.metrics.items() if m.unreliable}
    for name, m in undefined.items():
        st.warning(f"{text(name)} is undefined on the test rows: {text(m.note)}", icon=":material/warning:")
    if unreliable:
        first = next(iter(unreliable.values()))
        st.warning(f"Intervals of {', '.join(unreliable)} are unreliable: {text(first.unreliable)}", icon=":material/warning:")
    st.dataframe(pd.DataFrame([{"Metric": name, "Value": m.value, "95% low": m.low, "95% high": m.high,
                                "Rows": m.n, "Note": m.note or ("undefined" if m.value is None else ""),
                                "Interval": "unreliable" if m.unreliable else ("—" if m.value is None else "ok")}
                               for name, m in report.metrics.items()]),
                 hide_index=True, width="stretch")
    left, right = st.columns(2)
    if report.task == "regression":
        left.plotly_chart(charts.residual_scatter_figure(report.residuals), width="stretch")
        right.plotly_chart(charts.residual_histogram_figure(report.residuals), width="stretch")
        return
    left.plotly_chart(charts.confusion_figure(report.confusion), width="stretch")
    if report.task == "binary":
        right.plotly_chart(charts.roc_figure(report.roc, report.metrics.get("roc_auc")), width="stretch")
        left.plotly_chart(charts.precision_recall_figure(report.precision_recall,
                                                         report.metrics.get("average_precision")), width="stretch")
        right.plotly_chart(charts.calibration_figure(report.calibration), width="stretch")
    else:
        right.dataframe(pd.DataFrame([vars(c) for c in report.per_class]), hide_index=True, width="stretch")


def _threshold(report: ValidationReport) -> None:
    if report.thresholds is None:
        st.caption("Threshold selection applies to binary tasks.")
        return
    analysis = report.thresholds
    criterion = ("lowest expected cost" if analysis.criterion == "cost" else "highest F1")
    st.markdown(f"Best threshold by {criterion}: **{analysis.best_threshold:.2f}**"
                + (f" (FN costs {analysis.cost_fn:g}, FP costs {analysis.cost_fp:g})" if analysis.cost else ""))
    st.plotly_chart(charts.threshold_figure(analysis, report.decision_threshold), width="stretch")


def _overfitting(report: ValidationReport) -> None:
    over = report.overfitting
    cards = st.columns(4)
    cards[0].metric(f"Train {over.metric}", _number(over.train))
    cards[1].metric(f"Cross-validation {over.metric}", _number(over.cv))
    cards[2].metric(f"Test {over.metric}", _number(over.test))
    cards[3].markdown("**Overfitting**  \n" + badge(Status.FAIL if over.flagged else Status.PASS))
    st.caption(text(over.reason))


def _robustness(report: ValidationReport) -> None:
    st.plotly_chart(charts.robustness_figure(report.robustness, report.primary_metric), width="stretch")
    st.dataframe(pd.DataFrame([{"Perturbation": c.label, "Score": c.score, "Drop": c.drop, "Note": c.note}
                               for c in report.robustness]), hide_index=True, width="stretch")


def _slices(report: ValidationReport) -> None:
    columns = sorted({s.column for s in report.slices})
    if columns:
        column = st.selectbox("Slice by", columns, key="validate_slice_column")
        st.plotly_chart(charts.slices_figure(report.slices, column, report.primary_metric), width="stretch")
    cohorts = report.weakest_cohorts
    st.markdown(f"**Weakest cohorts** — where errors concentrate ({text(cohorts.error_definition)}; overall "
                f"error rate {_number(cohorts.overall_error_rate)})")
    st.dataframe(pd.DataFrame([{"Cohort": c.rule, "Rows": c.rows, "Errors": c.errors, "Error rate": c.error_rate,
                                "× overall": c.lift} for c in cohorts.cohorts]), hide_index=True, width="stretch")


def _latency(report: ValidationReport) -> None:
    timing = report.latency
    cards = st.columns(3)
    cards[0].metric("Single-row p50", f"{_number(timing.p50_ms, 2)} ms")
    cards[1].metric("Single-row p95", f"{_number(timing.p95_ms, 2)} ms")
    cards[2].metric("Batch throughput", "—" if timing.batch_rows_per_second is None
                    else f"{timing.batch_rows_per_second:,.0f} rows/s")
    st.caption(f"Single-row times over {timing.rows_timed} test rows with {timing.method}; "
               f"throughput over {timing.batch_rows:,} rows in one call.")


_RENDERERS = {"Verdict": _verdict, "Metrics & curves": _performance, "Threshold & cost": _threshold,
              "Overfitting": _overfitting, "Robustness": _robustness, "Slices & cohorts": _slices,
              "Latency": _latency}


def fairness_verdicts(report: ValidationReport) -> None:
    """The fairness objectives as the verdict judged them: on the review below (same decisions,
    small groups left out, the worst grouping with its interval)."""
    for item in (v for v in report.verdicts if v.kind == "fairness"):
        st.markdown(f"{badge(_STATUS.get(item.status, item.status))} **{text(item.objective)}**"
                    f"{'' if item.blocking else ' · advisory'} — {text(item.reason)}")
