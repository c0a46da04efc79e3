"""The Retire page's hand-over report: the metric of every version over time, the report itself, and
its Markdown and HTML downloads. On the page each section's table is a data frame (it scrolls, and a
long hash or reason no longer pushes the report past the page's edge); the downloads carry the same
sections as Markdown and HTML tables."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import retire
from lifecycle.charts.retire_charts import metrics_over_time_figure
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui.frame import reported_errors


def render(workspace: Workspace, user: User, project: Project) -> None:
    with reported_errors():
        report = retire.build_handover(workspace, user, project.id)
        left, right = st.columns(2)
        left.download_button("Download Markdown", retire.to_markdown(report), file_name=f"handover-project-{project.id}.md",
                             mime="text/markdown", icon=":material/download:", key="handover_md")
        right.download_button("Download HTML", retire.to_html(report), file_name=f"handover-project-{project.id}.html",
                              mime="text/html", icon=":material/download:", key="handover_html")
        metric = next((m.primary_metric for m in report.metrics if m.primary_metric), None)
        if metric is not None:
            st.plotly_chart(metrics_over_time_figure(report.metrics, metric), key="handover_metrics")
        for number, block in enumerate(retire.blocks(report)):
            _section(number, block)


def _section(number: int, block: retire.Block) -> None:
    """One section: its title and sentences as Markdown (user text escaped), its table as plain cells."""
    st.markdown(("### " if number == 0 else "#### ") + retire.markdown_of(block.title))
    for sentence in block.text:
        st.markdown(retire.markdown_of(sentence))
    if block.columns and block.rows:
        st.dataframe(pd.DataFrame([[retire.text_of(cell) for cell in row] for row in block.rows],
                                  columns=list(block.columns)),
                     hide_index=True, width="stretch", key=f"handover_table_{number}")
    elif block.columns:
        st.markdown(f"_{block.empty}_")
