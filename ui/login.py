"""Sign-in, first-admin set-up and demo seeding."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth, demo
from lifecycle.access import sessions
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors


def seed_demo_with_progress(workspace: Workspace) -> None:
    if auth.has_users(workspace):
        return
    with st.status("Preparing the demo workspace (first start only)…", expanded=True) as status:
        bar = st.progress(0.0)
        demo.seed_demo(workspace, lambda fraction, message: bar.progress(fraction, text=message))
        status.update(label="Demo workspace ready", state="complete", expanded=False)


def render() -> None:
    workspace = state.workspace()
    st.title(":material/recycling: Lifecycle")
    st.caption("One place for a tabular model's whole life: problem, data, models, validation and beyond.")
    if not auth.has_users(workspace):
        _first_admin(workspace)
        return
    if state.signed_out_idle():
        st.info("You were signed out after a while without activity. Sign in again to go on.", icon="⏳")
    if workspace.is_demo:
        st.info(demo.demo_login_hint(), icon=":material/science:")
    with st.form("sign_in"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with reported_errors():  # a mismatch, or a wait after repeated failures (lifecycle.access.sessions)
            user = sessions.sign_in(workspace, name.strip(), password, client=st.context.ip_address or "unknown")
            state.sign_in(user)
            st.rerun()


def _first_admin(workspace: Workspace) -> None:
    st.info(f"The workspace {workspace.path} has no users yet. Create its first admin.", icon=":material/waving_hand:")
    with st.form("first_admin"):
        name = st.text_input("Admin user name", key="admin_name")
        password = st.text_input(f"Password ({auth.MIN_PASSWORD_LENGTH} characters or more)", type="password",
                                 key="admin_password")
        submitted = st.form_submit_button("Create admin", type="primary")
    if submitted:
        with reported_errors():  # auth refuses a short password (the rule holds on every path)
            user = auth.init_admin(workspace, name.strip(), password)
            state.sign_in(user)
            st.rerun()
