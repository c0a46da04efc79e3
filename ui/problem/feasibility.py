"""The feasibility check panel of the Problem page."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.develop import feasibility
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui.badges import badge
from ui.frame import reported_errors, text


def render(workspace: Workspace, project: Project, user: User) -> None:
    st.caption("Is there enough data, how balanced is it, and does a quick default model get near each objective? "
               f"Models are cross-validated on at most {feasibility.SAMPLE_ROWS:,} rows. Each check is kept on "
               "record as evidence of this stage.")
    if st.button("Run feasibility check", key="run_feasibility", type="primary"):
        with reported_errors(), st.status("Checking feasibility…", expanded=False) as status:
            _, from_store = feasibility.check_and_record(workspace, user, project)
            status.update(label="Unchanged since the last check (same data, framing and objectives): the stored "
                                "result is shown" if from_store else "Feasibility checked", state="complete")
    latest = feasibility.latest_report(workspace, project)
    if latest is None:
        st.info("No feasibility check on record for this project yet.", icon=":material/calculate:")
        return
    report, stored = latest
    st.caption(f"Checked by {text(stored.created_by)} on {stored.created_at:%Y-%m-%d %H:%M} UTC.")
    cards = st.columns(4)
    cards[0].metric("Rows", f"{report.rows:,}")
    cards[1].metric("Features", report.features)
    if report.class_counts:
        total = sum(report.class_counts.values())
        minority = min(report.class_counts, key=report.class_counts.get)
        cards[2].metric("Minority class share", f"{report.class_counts[minority] / total:.1%}", help=minority)
    cards[3].metric("Sample used", f"{report.sample_rows:,}")
    for warning in report.warnings:
        st.warning(text(warning), icon=":material/warning:")
    for check in report.checks:
        st.markdown(f"{badge(check.verdict)} **{text(check.objective)}** — {text(check.explanation)}")
    st.dataframe(pd.DataFrame([{"Metric": c.metric, "Naive baseline": c.baseline, "Quick model": c.quick_model,
                                "± std": c.quick_model_std, "Verdict": c.verdict} for c in report.checks]),
                 hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="%.3f")
                                for k in ("Naive baseline", "Quick model", "± std")})
    st.caption(f"On {text(report.dataset_label)}.")
