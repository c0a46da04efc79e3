"""The sidebar: project picker, model version in focus, who is signed in."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth
from lifecycle.access import users
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import text


def render(workspace: Workspace, user: User) -> None:
    with st.sidebar:
        all_projects = projects.list_projects(workspace)
        if all_projects:
            ids = [p.id for p in all_projects]
            names = {p.id: p.name for p in all_projects}
            current = state.project_id()
            if current not in ids:  # a new session opens the project this user had in focus last
                last = users.last_project(workspace, user)
                current = last if last in ids else ids[0]
                state.set_project(current)
            # Unkeyed on purpose: when a page switches the project, the new index makes a fresh widget.
            chosen = st.selectbox("Project", ids, index=ids.index(current), format_func=names.get)
            if chosen != current:
                state.set_project(chosen)
            if chosen != users.last_project(workspace, user):
                users.remember_project(workspace, user, chosen)
        else:
            st.caption("No projects yet.")
            state.set_project(None)
        _model_picker(workspace)
        st.divider()
        st.markdown(f"Signed in as **{text(user.name)}** · {user.role}")
        st.caption(auth.ROLE_SUMMARY[user.role])
        if workspace.is_demo:
            st.caption(":material/science: Demo workspace")
        if st.button("Sign out", key="sign_out"):
            state.sign_out()
            st.rerun()


def _model_picker(workspace: Workspace) -> None:
    project_id = state.project_id()
    versions = registry.list_versions(workspace, project_id) if project_id is not None else []
    if not versions:
        st.caption("Model version in focus: none yet — register a run in Develop.")
        state.set_model_version(None)
        return
    ids = [v.id for v in versions]
    labels = {v.id: v.label for v in versions}
    current = state.model_version_id()
    if current not in ids:  # the version serving production if there is one, else the newest
        current = next((v.id for v in versions if v.state == ModelState.PRODUCTION), ids[-1])
        state.set_model_version(current)
    chosen = st.selectbox("Model version in focus", ids, index=ids.index(current), format_func=labels.get)
    if chosen != current:
        state.set_model_version(chosen)
