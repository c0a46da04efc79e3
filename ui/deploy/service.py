"""The Deploy page's scoring-service panel: up or down, where, start and stop, and the last minutes
of traffic from the prediction log (requests, rate, errors, p95 latency)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from lifecycle import auth, config
from lifecycle.deploy import serving
from lifecycle.deploy.stats import service_stats
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui.frame import disabled_reason, reported_errors, text


@st.cache_resource(show_spinner="Starting the scoring service of the projects in production…")
def _autostarted(workspace_path: str, _workspace: Workspace) -> dict:
    """Once per app process: serve what is in production (the services exit with the app)."""
    return serving.serve_production(_workspace)


def autostart(workspace: Workspace) -> None:
    if config.autoserve_enabled():
        _autostarted(str(workspace.path), workspace)


def render(workspace: Workspace, user: User, project: Project) -> None:
    current = serving.status(workspace, project)
    cannot = auth.why_not(user, auth.Permission.RUN_SERVICE)
    cards = st.columns(4)
    cards[0].metric("Service", "up" if current.running and current.healthy else ("starting" if current.running
                                                                                  else "down"),
                    help=text(current.message) if current.message else None)
    stats = service_stats(workspace.path, project.id, minutes=5)
    cards[1].metric("Requests, last 5 min", f"{stats.total.requests:,}", help=f"{stats.total.rate_per_s:.2f} per second")
    cards[2].metric("Error rate", f"{stats.total.error_rate:.1%}" if stats.total.requests else "—")
    cards[3].metric("p95 latency", f"{stats.total.p95_ms:.1f} ms" if stats.total.p95_ms is not None else "—")
    if current.running and current.url:
        st.caption(f"Serving at {text(current.url)} (process {current.pid}); it stops when the app stops.")
        sample = serving.sample_request(workspace, project)
        # st.code shows its text literally: a category name cannot become markup here
        st.code(f"curl -s {current.url}/health\n"
                f"curl -s -X POST {current.url}/invocations -H 'Content-Type: application/json' "
                f"-d '{json.dumps(sample)}'", language="bash")
    left, right = st.columns(2)
    if left.button("Start the service", disabled=cannot is not None or current.running, key="service_start"):
        with reported_errors(), st.spinner("Starting…"):
            serving.start(workspace, user, project)
            st.rerun()
    if right.button("Stop the service", disabled=cannot is not None or not current.running, key="service_stop"):
        with reported_errors():
            serving.stop(workspace, user, project)
            st.rerun()
    disabled_reason(cannot)
    for skipped in stats.skipped:
        st.warning(f"A log segment was skipped: {text(skipped)}", icon=":material/warning:")
    if stats.versions:
        st.dataframe(pd.DataFrame([{"Version": f"v{v.version}", "Requests": v.requests, "Per second": v.rate_per_s,
                                    "Errors": v.errors, "p50 ms": v.p50_ms, "p95 ms": v.p95_ms, "p99 ms": v.p99_ms}
                                   for v in stats.versions]), hide_index=True, width="stretch")
