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

from lifecycle import auth, config
from lifecycle.access import session_cookie, sessions, users
from lifecycle.hashing import sha256_text
from lifecycle.errors import NotFound
from lifecycle.records import User
from lifecycle.workspace import Workspace, open_workspace

USER = "user"
SESSION_ID = "session_id"  # this browser session's id for the idle expiry (lifecycle.access.sessions)
SIGNED_OUT_IDLE = "signed_out_idle"  # the last sign-out was the idle expiry's
PROJECT = "project_id"
MODEL_VERSION = "model_version_id"
COOKIE_TO_WRITE = "cookie_to_write"  # a sign-in token (or "" to clear the cookie) the browser still has to store
SIGNED_OUT = "signed_out"  # this tab signed out: the cookie it connected with no longer counts

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
DISMISSED_JOBS = "dismissed_jobs"  # ids of ended background jobs whose boxes the user closed
COMPARISON = "comparison"  # the last champion/challenger comparison on the Retrain page
WATCHED_RETRAINS = "watched_retrains"  # ids of the retrains this session saw running (to rerun when they end)
SIGNOFF_MESSAGE = "signoff_message"  # per version: what the last sign-off did (Govern page)
AUDIT_VERDICT = "audit_verdict"  # the last chain verification on the Govern page's audit trail
RETIRED_MESSAGE = "retired_message"  # what the last retirement did (Retire page)
CLEANUP_PLAN = "cleanup_plan"  # the dry run an admin reviews before confirming a clean-up
CLEANUP_MESSAGE = "cleanup_message"  # what the last confirmed clean-up deleted
ARCHIVE_CHECK = "archive_check"  # per version: the last check of its archive bundle
MONITOR_FOCUS = "monitor_focus"  # (feature, window start) the Monitor page's drift detail shows
ALERT_MESSAGE = "alert_message"  # what the last acknowledge / resolve / refresh on the Monitor page did
NAMES = (NEW_PROJECT_FORM, DATASET_IN_FOCUS, INGEST_MESSAGE, REGISTER_MESSAGE, LEADERBOARD_PAGE, LEARNING_CURVE,
         WHAT_IF, MITIGATION_CREATED, WATCHED_JOBS, BATCH_RESULT, DISMISSED_JOBS, COMPARISON, SIGNOFF_MESSAGE,
         AUDIT_VERDICT, RETIRED_MESSAGE, CLEANUP_PLAN, CLEANUP_MESSAGE, ARCHIVE_CHECK, MONITOR_FOCUS, ALERT_MESSAGE,
         WATCHED_RETRAINS)
# What the last action did: shown on its page after reruns, until dismissed or the user opens another page.
LAST_ACTION = (INGEST_MESSAGE, REGISTER_MESSAGE, MITIGATION_CREATED, SIGNOFF_MESSAGE, RETIRED_MESSAGE, CLEANUP_MESSAGE,
               ALERT_MESSAGE)
PAGE = "page"  # the page this session showed last (leaving it forgets the LAST_ACTION messages)


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(path)


def workspace() -> Workspace:
    return _workspace(str(config.workspace_path()))


def current_user() -> User | None:
    """The signed-in user: by this session, else by the signed cookie the browser connected with
    (so a refresh or a deep link keeps the user signed in). A disabled user is signed out."""
    name = st.session_state.get(USER)
    if not name:
        if st.session_state.get(SIGNED_OUT):
            return None
        token = st.context.cookies.get(session_cookie.COOKIE)
        user = session_cookie.verify(workspace(), token)
        if user is None:
            return None
        st.session_state[USER] = name = user.name
        # The idle clock follows the sign-in across refreshes: the session is the cookie's token.
        st.session_state[SESSION_ID] = _session_id(token)
    session_id = st.session_state.setdefault(SESSION_ID, uuid.uuid4().hex)
    if sessions.expired(session_id):
        sign_out()
        st.session_state[SIGNED_OUT_IDLE] = True
        return None
    sessions.touch(session_id)
    try:
        user = auth.get_user(workspace(), name)
    except NotFound:
        user = None
    if user is None or not user.active:
        sign_out()
        return None
    return user


def page_user() -> User:
    """The signed-in user, for a page script.

    ``app.py`` runs a page only for a signed-in user. The exception is a server's very first run: because
    the repository has a ``pages/`` folder, Streamlit starts in its older folder mode and may run the page
    file asked for (``/problem``) directly. Then leave that mode and run again, so the entry script shows
    the sign-in screen at the same address and, once signed in, this page.
    """
    user = current_user()
    if user is None:
        from streamlit.runtime.pages_manager import PagesManager  # what st.navigation itself sets

        PagesManager.uses_pages_directory = False
        st.rerun()
    return user


def _session_id(token: str) -> str:
    return sha256_text(token)[:32]


def sign_in(user: User) -> None:
    st.session_state.pop(SIGNED_OUT, None)
    st.session_state[USER] = user.name
    token = session_cookie.issue(workspace(), user)
    st.session_state[COOKIE_TO_WRITE] = token
    st.session_state[SESSION_ID] = _session_id(token)
    users.record_sign_in(workspace(), user.name)


def sign_out() -> None:
    """Forget the whole session, so the next user in the same tab inherits nothing, and clear the cookie."""
    if SESSION_ID in st.session_state:
        sessions.forget(st.session_state[SESSION_ID])
    st.session_state.clear()
    st.session_state[SIGNED_OUT] = True
    st.session_state[COOKIE_TO_WRITE] = ""


def take_cookie_to_write() -> str | None:
    """The token the browser should store now ("" to clear its cookie), once; None when nothing is due."""
    return st.session_state.pop(COOKIE_TO_WRITE, None)


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


def clear_widget(key: str) -> None:
    """Empty a widget's value before the next rerun (a reason field after its action succeeded)."""
    st.session_state.pop(key, None)


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


def entered_page(page: str) -> None:
    """Call once per run with the page shown: opening another page forgets what the last action said."""
    if st.session_state.get(PAGE) == page:
        return
    st.session_state[PAGE] = page
    for key in [k for k in st.session_state if isinstance(k, str) and k.split(":")[0] in LAST_ACTION]:
        del st.session_state[key]
