"""The feasibility check panel of the Problem page."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.develop import feasibility
from lifecycle.records import Project
from lifecycle.workspace import Workspace
from ui.badges import badge
from ui.frame import reported_errors, text

RESULTS = "feasibility_reports"  # session key: project id -> last report, kept across reruns


def render(workspace: Workspace, project: Project) -> None:
    st.caption("Is there enough data, how balanced is it, and does a quick default model get near each objective? "
               f"Models are cross-validated on at most {feasibility.SAMPLE_ROWS:,} rows.")
    reports = st.session_state.setdefault(RESULTS, {})
    if st.button("Run feasibility check", key="run_feasibility", type="primary"):
        with reported_errors(), st.status("Checking feasibility…", expanded=False) as status:
            reports[project.id] = feasibility.check_feasibility(workspace, project)
            status.update(label="Feasibility checked", state="complete")
    report = reports.get(project.id)
    if report is None:
        st.info("Not run yet for this project in this session.", icon="🧮")
        return
    cards = st.columns(4)
    cards[0].metric("Rows", f"{report.rows:,}")
    cards[1].metric("Features", report.features)
    if report.class_counts:
        total = sum(report.class_counts.values())
        minority = min(report.class_counts, key=report.class_counts.get)
        cards[2].metric("Minority class share", f"{report.class_counts[minority] / total:.1%}", help=minority)
    cards[3].metric("Sample used", f"{report.sample_rows:,}")
    for warning in report.warnings:
        st.warning(text(warning), icon="⚠️")
    for check in report.checks:
        st.markdown(f"{badge(check.verdict)} **{text(check.objective)}** — {text(check.explanation)}")
    st.dataframe(pd.DataFrame([{"Metric": c.metric, "Naive baseline": c.baseline, "Quick model": c.quick_model,
                                "± std": c.quick_model_std, "Verdict": c.verdict} for c in report.checks]),
                 hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="%.3f")
                                for k in ("Naive baseline", "Quick model", "± std")})
    st.caption(f"On {text(report.dataset_label)}.")
