"""Home: the portfolio — every project, its stage, its key numbers and what comes next."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import audit, auth, portfolio
from ui import state
from ui.frame import ICONS, text

workspace = state.workspace()
user = state.current_user()
st.title("Portfolio")
st.caption("Every project, the stage it has reached, and what it needs next.")

summaries = portfolio.portfolio(workspace)
if not summaries:
    st.info("No projects yet. A project states the problem, its target and the objectives a model must meet.",
            icon="🎯")
    if auth.can(user, auth.Permission.EDIT_PROJECT):
        st.page_link("pages/problem.py", label="Create the first project", icon="➕")
    else:
        st.caption("An analyst creates projects; you will see them here.")
    st.stop()

cards = st.columns(3)
cards[0].metric("Projects", len(summaries))
cards[1].metric("Datasets on record", sum(s.datasets for s in summaries))
cards[2].metric("Projects with frozen data", sum(1 for s in summaries if s.stages[1].state == "done"))

table = pd.DataFrame([{
    "Project": s.project.name,
    "Task": s.project.task,
    "Stage reached": s.stage_reached,
    "Stages": " ".join(ICONS[x.state] for x in s.stages),
    "Rows (latest data)": s.latest_rows,
    "Objectives": "; ".join(s.objectives) or "none yet",
    "Risk": s.project.risk_tier,
    "Next step": s.next_step,
} for s in summaries])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Rows (latest data)": st.column_config.NumberColumn(format="%d")})
st.caption("✅ done · 🔵 to do · ⛔ blocked · ⚪ not reached")

for summary in summaries:
    with st.container(border=True):
        left, right = st.columns([3, 1])
        left.markdown(f"**{text(summary.project.name)}** — {text(summary.project.statement) or '_no statement yet_'}")
        left.caption(text(summary.health))
        if summary.drivers:
            left.markdown(f"What drives model {text(summary.model)} most:  \n"
                          + "  \n".join(f"- {text(statement)}" for statement in summary.drivers))
        if right.button("Open", key=f"open_{summary.project.id}"):
            state.set_project(summary.project.id)
            st.switch_page("pages/problem.py")

with st.expander("Recent activity"):
    events = audit.recent_events(workspace, limit=20)
    st.dataframe(pd.DataFrame([{"When (UTC)": e.at[:19].replace("T", " "), "Who": e.actor, "What": e.action,
                                "On": e.entity} for e in reversed(events)]), hide_index=True, width="stretch")
