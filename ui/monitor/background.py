"""The app's background monitoring refresher (``lifecycle.monitor.autorefresh``), started once per
app process beside the scoring services; off when LIFECYCLE_AUTOSERVE or LIFECYCLE_MONITOR_REFRESH_SECONDS is 0."""
from __future__ import annotations

import streamlit as st

from lifecycle import config
from lifecycle.monitor import autorefresh
from lifecycle.workspace import Workspace
from ui.frame import text


@st.cache_resource(show_spinner=False)
def _started(workspace_path: str, _workspace: Workspace, every_seconds: float) -> bool:
    return autorefresh.start_auto_refresh(_workspace, every_seconds) is not None


def autostart(workspace: Workspace) -> None:
    if not config.autoserve_enabled():
        return
    try:
        seconds = config.monitor_refresh_seconds()
    except ValueError as error:
        st.warning(text(str(error)), icon=":material/warning:")
        return
    if seconds > 0:
        _started(str(workspace.path), workspace, seconds)
