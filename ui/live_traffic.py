"""Live simulated traffic in a demo workspace, started once per app process beside the scoring
services (``lifecycle.monitor.live_traffic``); off when LIFECYCLE_AUTOSERVE or LIFECYCLE_LIVE_TRAFFIC is 0."""
from __future__ import annotations

import streamlit as st

from lifecycle import config
from lifecycle.monitor import live_traffic
from lifecycle.workspace import Workspace
from ui.frame import text


@st.cache_resource(show_spinner=False)
def _started(workspace_path: str, _workspace: Workspace) -> int:
    """Once per app process and workspace: the number of projects whose live traffic runs."""
    return len(live_traffic.start_live_traffic(_workspace))


def autostart(workspace: Workspace) -> None:
    if not config.autoserve_enabled():
        return
    try:
        rate = config.live_traffic_rate()
    except ValueError as error:
        st.warning(text(str(error)), icon=":material/warning:")
        return
    if rate > 0:
        _started(str(workspace.path), workspace)
