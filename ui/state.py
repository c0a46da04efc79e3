"""The few named session keys the app uses, and the process-wide workspace handle.

The database is the record of truth; the session only remembers who is signed in and
which project and model version are in focus.
"""
from __future__ import annotations

import streamlit as st

from lifecycle import auth, config
from lifecycle.errors import NotFound
from lifecycle.records import User
from lifecycle.workspace import Workspace, open_workspace

USER = "user"
PROJECT = "project_id"
MODEL_VERSION = "model_version_id"


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(path)


def workspace() -> Workspace:
    return _workspace(str(config.workspace_path()))


def current_user() -> User | None:
    name = st.session_state.get(USER)
    if not name:
        return None
    try:
        return auth.get_user(workspace(), name)
    except NotFound:
        st.session_state.pop(USER, None)
        return None


def sign_in(user: User) -> None:
    st.session_state[USER] = user.name


def sign_out() -> None:
    for key in (USER, PROJECT, MODEL_VERSION):
        st.session_state.pop(key, None)


def project_id() -> int | None:
    return st.session_state.get(PROJECT)


def set_project(project_id: int | None) -> None:
    st.session_state[PROJECT] = project_id


def model_version_id() -> int | None:
    return st.session_state.get(MODEL_VERSION)


def set_model_version(version_id: int | None) -> None:
    st.session_state[MODEL_VERSION] = version_id
