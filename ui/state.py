"""Every session key the app uses, and the process-wide workspace handle.

The database is the record of truth; the session only remembers who is signed in, what is in
focus, and a few results of the user's last action so they stay on screen after a rerun. No
other module reads or writes ``st.session_state`` by a raw key: values that belong to a project
are stored under a key scoped to it, so switching projects never shows another project's state.
Widget keys (``key=...`` on a widget) are Streamlit's own and stay with their widgets.
"""
from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from lifecycle import auth, config, sessions
from lifecycle.errors import NotFound
from lifecycle.records import User
from lifecycle.workspace import Workspace, open_workspace

USER = "user"
SESSION_ID = "session_id"  # this browser session's id for the idle expiry (lifecycle.sessions)
SIGNED_OUT_IDLE = "signed_out_idle"  # the last sign-out was the idle expiry's
PROJECT = "project_id"
MODEL_VERSION = "model_version_id"

# Named values kept per project (see ``remember`` / ``recall``).
NEW_PROJECT_FORM = "new_project_form"  # the Problem page shows the new-project form
DATASET_IN_FOCUS = "dataset_in_focus"  # the Data page's dataset version
INGEST_MESSAGE = "ingest_message"  # what the last ingest did, with its notes
REGISTER_MESSAGE = "register_message"  # what the last registration did
LEADERBOARD_PAGE = "leaderboard_page"
LEARNING_CURVE = "learning_curve"  # (run id, curve) of the last computed learning curve
WHAT_IF = "what_if"  # the last what-if answer of the Explain panel
MITIGATION_CREATED = "mitigation_created"  # per base version: the candidates the last mitigation made
WATCHED_JOBS = "watched_jobs"  # ids of the background jobs this session saw running (to rerun when they end)
BATCH_RESULT = "batch_result"  # per version: the last batch scored on the Deploy page (kept for its download)
NAMES = (NEW_PROJECT_FORM, DATASET_IN_FOCUS, INGEST_MESSAGE, REGISTER_MESSAGE, LEADERBOARD_PAGE, LEARNING_CURVE,
         WHAT_IF, MITIGATION_CREATED, WATCHED_JOBS, BATCH_RESULT)


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(path)


def workspace() -> Workspace:
    return _workspace(str(config.workspace_path()))


def current_user() -> User | None:
    name = st.session_state.get(USER)
    if not name:
        return None
    session_id = st.session_state.setdefault(SESSION_ID, uuid.uuid4().hex)
    if sessions.expired(session_id):
        sign_out()
        st.session_state[SIGNED_OUT_IDLE] = True
        return None
    sessions.touch(session_id)
    try:
        return auth.get_user(workspace(), name)
    except NotFound:
        st.session_state.pop(USER, None)
        return None


def sign_in(user: User) -> None:
    st.session_state[USER] = user.name


def sign_out() -> None:
    """Forget the whole session, so the next user in the same tab inherits nothing."""
    if SESSION_ID in st.session_state:
        sessions.forget(st.session_state[SESSION_ID])
    st.session_state.clear()


def signed_out_idle() -> bool:
    return bool(st.session_state.get(SIGNED_OUT_IDLE))


def project_id() -> int | None:
    return st.session_state.get(PROJECT)


def set_project(project_id: int | None) -> None:
    st.session_state[PROJECT] = project_id


def model_version_id() -> int | None:
    return st.session_state.get(MODEL_VERSION)


def set_model_version(version_id: int | None) -> None:
    st.session_state[MODEL_VERSION] = version_id


def _key(name: str, project_id: int | None, item: object) -> str:
    if name not in NAMES:
        raise KeyError(f"Unknown session value {name!r}; declare it in ui/state.py.")
    return f"{name}:{project_id}" + ("" if item is None else f":{item}")


def remember(name: str, value: Any, *, project_id: int | None, item: object = None) -> None:
    """Keep ``value`` for this session under ``name``, scoped to a project (and an item of it, e.g. a version id)."""
    st.session_state[_key(name, project_id, item)] = value


def recall(name: str, default: Any = None, *, project_id: int | None, item: object = None) -> Any:
    return st.session_state.get(_key(name, project_id, item), default)


def forget(name: str, *, project_id: int | None, item: object = None) -> None:
    st.session_state.pop(_key(name, project_id, item), None)
