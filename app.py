"""Lifecycle — the entry script: workspace, sign-in, sidebar and navigation."""
from __future__ import annotations

import streamlit as st

from lifecycle import config
from ui import login, sidebar, state
from ui.deploy import service as deploy_service
from ui.frame import error_boundary

st.set_page_config(page_title="Lifecycle", page_icon="♻️", layout="wide")


def main() -> None:
    workspace = state.workspace()
    if config.demo_enabled():
        login.seed_demo_with_progress(workspace)
    deploy_service.autostart(workspace)  # what is in production answers at once; it stops with the app

    user = state.current_user()
    if user is None:
        st.navigation([st.Page(login.render, title="Sign in", icon="🔑")], position="hidden").run()
        st.stop()

    sidebar.render(workspace, user)
    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/problem.py", title="1 · Problem", icon="🎯"),
        st.Page("pages/data.py", title="2 · Data", icon="🗃️"),
        st.Page("pages/develop.py", title="3 · Develop", icon="🛠️"),
        st.Page("pages/validate.py", title="4 · Validate", icon="⚖️"),
        st.Page("pages/deploy.py", title="5 · Deploy", icon="🚀"),
    ]
    st.navigation(pages).run()


with error_boundary():  # nothing a page raises shows a traceback: a message here, the details in the log
    main()
