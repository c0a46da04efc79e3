"""Data page: the profile of a dataset version (computed once, cached in the workspace)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.data import profile
from lifecycle.charts import profile_charts
from lifecycle.records import DatasetVersion, Project
from lifecycle.workspace import Workspace
from ui.frame import text

SEVERITY_ICON = {"problem": ":red[:material/cancel:]", "warning": ":orange[:material/warning:]",
                 "info": ":blue[:material/info:]"}


def render(workspace: Workspace, project: Project, dataset: DatasetVersion) -> None:
    with st.spinner("Profiling…"):
        report = profile.get_profile(workspace, dataset, target=None if dataset.auxiliary else project.target,
                                     task=project.task)
    cards = st.columns(4)
    cards[0].metric("Rows", f"{report.rows:,}")
    cards[1].metric("Columns", len(report.columns))
    cards[2].metric("Duplicate rows", f"{report.duplicate_rows:,}")
    counts = {kind: sum(1 for f in report.findings if f.severity == kind) for kind in ("problem", "warning", "info")}
    cards[3].metric("Problems and warnings", counts["problem"] + counts["warning"],
                    help=f"Of the {len(report.findings)} findings listed below; the other {counts['info']} are notes.")
    if report.findings:
        with st.container(border=True):
            st.markdown(f"**Findings** ({len(report.findings)}: {counts['problem']} problems, {counts['warning']} "
                        f"warnings, {counts['info']} notes)")
            for finding in report.findings:
                st.markdown(f"{SEVERITY_ICON.get(finding.severity, '•')} **{finding.severity}** — {text(finding.message)}")
    overview, per_column = st.tabs(["Overview", "Columns"])
    with overview:
        left, right = st.columns(2)
        left.plotly_chart(profile_charts.missing_values_figure(report), width="stretch")
        if report.class_balance:
            right.plotly_chart(profile_charts.class_balance_figure(report), width="stretch")
        st.dataframe(pd.DataFrame([{
            "Column": c.name, "Kind": f"numbers stored as text ({c.number_format})" if c.number_format else c.kind,
            "Type": c.dtype, "Missing": c.missing,
            "Missing %": c.missing_share * 100, "Distinct": c.distinct, "Outliers": c.outliers,
            "Infinite": c.infinite, "Flags": ", ".join(c.flags)} for c in report.columns]),
            hide_index=True, width="stretch",
            column_config={"Missing %": st.column_config.ProgressColumn(format="%.1f%%", min_value=0, max_value=100)})
    with per_column:
        names = [c.name for c in report.columns]
        chosen = st.selectbox("Column", names, key=f"profile_column_{dataset.id}")
        column = report.columns[names.index(chosen)]
        if column.kind == "numeric":
            st.plotly_chart(profile_charts.histogram_figure(column), width="stretch")
        elif column.top_values:
            st.plotly_chart(profile_charts.top_values_figure(column), width="stretch")
        else:
            st.caption("No values to chart.")
