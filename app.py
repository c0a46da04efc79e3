"""Lifecycle — the entry script: workspace, sign-in, sidebar and navigation."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from lifecycle import auth, config
from lifecycle.records import User
from ui import cookie, login, sidebar, state
from ui.deploy import service as deploy_service
from ui import live_traffic
from ui.monitor import background as monitor_background
from ui.frame import error_boundary

st.set_page_config(page_title="Lifecycle", page_icon=":material/recycling:", layout="wide")


PAGES = (  # (script, title, icon); the first is the default page
    ("pages/home.py", "Home", ":material/home:"),
    ("pages/problem.py", "1 · Problem", ":material/flag:"),
    ("pages/data.py", "2 · Data", ":material/database:"),
    ("pages/develop.py", "3 · Develop", ":material/build:"),
    ("pages/validate.py", "4 · Validate", ":material/balance:"),
    ("pages/deploy.py", "5 · Deploy", ":material/rocket_launch:"),
    ("pages/monitor.py", "6 · Monitor", ":material/monitoring:"),
    ("pages/retrain.py", "7 · Retrain", ":material/compare_arrows:"),
    ("pages/govern.py", "8 · Govern", ":material/verified_user:"),
    ("pages/retire.py", "9 · Retire", ":material/inventory_2:"),
    ("pages/admin.py", "Admin", ":material/admin_panel_settings:"),
)


def pages(user: User) -> list[st.Page]:
    """Every page, for everyone (a page a role may not use says so), so any address resolves."""
    admin = auth.can(user, auth.Permission.MANAGE_USERS)
    return [st.Page(script, default=number == 0,
                    title="Account" if title == "Admin" and not admin else title,
                    icon=":material/person:" if title == "Admin" and not admin else icon)
            for number, (script, title, icon) in enumerate(PAGES)]


def sign_in_pages() -> list[st.Page]:
    """The sign-in screen at every page's address: a refresh or a deep link such as /problem resolves
    (no "Page not found"), and the rerun after signing in lands on the page that was asked for."""
    return [st.Page(login.render, title="Sign in", icon=":material/login:", default=True),
            *(st.Page(login.render, title="Sign in", icon=":material/login:", url_path=Path(script).stem)
              for script, _, _ in PAGES[1:])]


def main() -> None:
    workspace = state.workspace()
    if config.demo_enabled():
        login.seed_demo_with_progress(workspace)
    deploy_service.autostart(workspace)  # what is in production answers at once; it stops with the app
    live_traffic.autostart(workspace)  # a demo's simulated traffic keeps flowing through those services
    monitor_background.autostart(workspace)  # drift, alerts and performance kept current while the app runs

    user = state.current_user()
    if user is None:
        cookie.write_pending()
        st.navigation(sign_in_pages(), position="hidden").run()
        st.stop()

    sidebar.render(workspace, user)
    with st.sidebar:
        cookie.write_pending()
    page = st.navigation(pages(user))
    state.entered_page(page.url_path)
    page.run()


with error_boundary():  # nothing a page raises shows a traceback: a message here, the details in the log
    main()
