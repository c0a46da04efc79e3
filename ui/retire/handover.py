"""The Retire page's hand-over report: the metric of every version over time, the report itself, and
its Markdown and HTML downloads."""
from __future__ import annotations

import streamlit as st

from lifecycle import retire
from lifecycle.charts.retire_charts import metrics_over_time_figure
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui.frame import reported_errors


def render(workspace: Workspace, user: User, project: Project) -> None:
    with reported_errors():
        report = retire.build_handover(workspace, user, project.id)
        markdown = retire.to_markdown(report)
        left, right = st.columns(2)
        left.download_button("Download Markdown", markdown, file_name=f"handover-project-{project.id}.md",
                             mime="text/markdown", icon=":material/download:", key="handover_md")
        right.download_button("Download HTML", retire.to_html(report), file_name=f"handover-project-{project.id}.html",
                              mime="text/html", icon=":material/download:", key="handover_html")
        metric = next((m.primary_metric for m in report.metrics if m.primary_metric), None)
        if metric is not None:
            st.plotly_chart(metrics_over_time_figure(report.metrics, metric), key="handover_metrics")
        with st.container(border=True):
            st.markdown(markdown)
