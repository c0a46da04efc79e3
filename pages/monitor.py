"""Stage 6 — Monitor: the production model's traffic, drift, performance and alerts, refreshing
itself; stakeholders see the summary in plain words."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth
from lifecycle.auth import Permission
from lifecycle.monitor import autorefresh
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.summary import monitor_summary
from lifecycle.monitor.traffic import traffic_series
from ui import state
from ui.frame import current_project, header, reported_errors
from ui.monitor import alerts as alerts_panel
from ui.monitor import controls as monitor_controls
from ui.monitor import drift as drift_panel
from ui.monitor import performance as performance_panel
from ui.monitor import settings as settings_panel
from ui.monitor import summary as summary_panel
from ui.monitor import traffic as traffic_panel

SECTIONS = ("Traffic", "Drift", "Performance", "Alerts", "Settings")

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Monitor", project)
if project is None:
    st.info("Monitoring belongs to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
version = production_version(workspace, project.id)
if version is None:
    st.info("No version of this project serves production, so there is no traffic to watch. Promote an approved "
            "version in Deploy.", icon=":material/rocket_launch:")
    st.page_link("pages/deploy.py", label="Go to Deploy", icon=":material/rocket_launch:")
    st.stop()

# Whoever may act on alerts opens the details; the others (stakeholders) the summary in plain words.
controls = monitor_controls.render(stakeholder=not auth.can(user, Permission.HANDLE_ALERTS))
section = None
if controls.view == "Details":
    left, right = st.columns([5, 1])
    with left:
        section = st.radio("Section", SECTIONS, horizontal=True, key="monitor_section", label_visibility="collapsed")
    if right.button("Refresh now", icon=":material/refresh:", key="monitor_refresh",
                    help="Compute what the log added: drift, alerts, performance, webhook delivery."):
        with reported_errors(), st.spinner("Refreshing the monitoring…"):
            done = autorefresh.refresh_now(workspace, project.id, actor=user)
            state.remember(state.ALERT_MESSAGE, f"Monitoring refreshed in {done.seconds:.1f} s; "
                                                f"{len(done.raised)} alert(s) raised.", project_id=project.id)
        st.rerun()


@st.fragment(run_every=controls.interval)
def live() -> None:
    since, until = controls.now_range()
    last = autorefresh.last_refresh(workspace, project.id)
    st.caption(f"Model v{version.version} in production · {until:%Y-%m-%d %H:%M:%S} UTC"
               + (f" · monitoring last refreshed {last:%H:%M:%S} UTC" if last else "")
               + (f" · refreshing every {controls.interval} s" if controls.interval else " · paused"))
    if controls.view == "Summary":
        summary_panel.render(monitor_summary(workspace, project.id, since=since, until=until,
                                             size_seconds=controls.size_seconds))
        traffic_panel.render(traffic_series(workspace, project.id, since=since, until=until,
                                            size_seconds=controls.size_seconds))
    elif section == "Traffic":
        traffic_panel.render(traffic_series(workspace, project.id, since=since, until=until,
                                            size_seconds=controls.size_seconds))
    elif section == "Drift":
        drift_panel.render(workspace, project, version.id, since)
    elif section == "Performance":
        performance_panel.render(workspace, project, version.id, since, until)


with reported_errors():
    live()
    if section == "Alerts":
        alerts_panel.render(workspace, user, project)
    elif section == "Settings":
        settings_panel.webhook(workspace, user, project)
        settings_panel.rules(workspace, user, project)
