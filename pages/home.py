"""Home: the portfolio — every project, its health, its primary objective and trend, and what comes next.
A stakeholder should need no other page."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth, portfolio
from lifecycle.access import activity
from ui import state
from ui.badges import badge
from ui.frame import COLOURS, ICONS, STATE_WORDS, text
from ui.retrain import runs as retrain_runs

workspace = state.workspace()
user = state.page_user()
retrain_runs.start_due(workspace)  # retraining policies due on an alert or a schedule start now (no daemon)
st.title("Portfolio")
st.caption("Every project: its health, its primary objective against the threshold, the trend across model "
           "versions, and what it needs next.")

summaries = portfolio.portfolio(workspace)
if not summaries:
    st.info("No projects yet. A project states the problem, its target and the objectives a model must meet.",
            icon=":material/flag:")
    if auth.can(user, auth.Permission.EDIT_PROJECT):
        st.page_link("pages/problem.py", label="Create the first project", icon=":material/add:")
    else:
        st.caption("An analyst creates projects; you will see them here.")
    st.stop()

words = [s.health.word for s in summaries]
cards = st.columns(4)
cards[0].metric("Projects", len(summaries))
cards[1].metric("On track", words.count("on track"))
cards[2].metric("Need attention", words.count("attention"))
cards[3].metric("Failing", words.count("failing"))


def _value(summary) -> str:
    primary = summary.primary
    if primary is None:
        return "no objective set"
    if primary.value is None:
        return f"{primary.objective}: not measured yet"
    return f"{primary.metric} {primary.value:.3f} (needs {primary.comparator} {primary.threshold:g}): {primary.word}"


table = pd.DataFrame([{
    "Project": s.project.name,
    "Health": s.health.word,
    "Stage reached": s.stage_reached,
    "Primary objective (latest model)": _value(s),
    "Trend": [value for _, value in s.primary.trend] if s.primary else [],
    "Open alerts": len(s.open_alerts),
    "Last changed (UTC)": s.last_changed,
} for s in summaries])
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "Project": st.column_config.TextColumn(width="medium"),
    "Health": st.column_config.TextColumn(width="small"),
    "Stage reached": st.column_config.TextColumn(width="small"),
    "Primary objective (latest model)": st.column_config.TextColumn(width="medium"),
    "Trend": st.column_config.LineChartColumn("Trend (per model version)", width="small"),
    "Open alerts": st.column_config.NumberColumn(width="small"),
    "Last changed (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width="small"),
})

for summary in summaries:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{text(summary.project.name)}** {badge(summary.health.word)} {text(summary.health.reason)}")
        if summary.project.statement:
            left.caption(text(summary.project.statement))
        primary = summary.primary
        if primary is not None and primary.value is not None:
            left.markdown(f"{badge(primary.word)} Primary objective **{text(primary.objective)}**: model "
                          f"{primary.model} scores **{primary.value:.3f}** on the test split.")
        elif primary is not None:
            left.markdown(f"{badge('pending')} Primary objective **{text(primary.objective)}**: no model measured yet.")
        if summary.open_alerts:
            left.markdown(f":red-badge[:material/notifications_active: {len(summary.open_alerts)} open alert"
                          f"{'s' if len(summary.open_alerts) != 1 else ''}]  \n"
                          + "\n".join(f"- {text(title)}" for title in summary.open_alerts[:3]))
        if summary.drivers:
            left.markdown(f"What drives model {summary.model} most:  \n"
                          + "  \n".join(f"- {text(statement)}" for statement in summary.drivers))
        left.markdown(" ".join(f":{COLOURS[s.state]}[{ICONS[s.state]} {s.stage}]" for s in summary.stages)
                      + f"  \n{text(summary.progress)}")
        right.caption(f"Last changed {summary.last_changed:%Y-%m-%d %H:%M} UTC")
        if right.button("Open", key=f"open_{summary.project.id}", icon=":material/open_in_new:"):
            state.set_project(summary.project.id)
            st.switch_page("pages/problem.py")

st.caption(" · ".join(f":{COLOURS[k]}[{ICONS[k]} {STATE_WORDS[k]}]" for k in ICONS))

st.subheader("Recent activity")
recent = activity.recent(workspace, limit=15)
st.dataframe(pd.DataFrame([{"When (UTC)": a.at, "Project": a.project or "(workspace)", "What happened": a.sentence}
                           for a in recent]),
             hide_index=True, width="stretch", column_config={
                 "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width="small"),
                 "Project": st.column_config.TextColumn(width="small"),
                 "What happened": st.column_config.TextColumn(width="large")})
