"""The frame every page shares: title, one-sentence purpose, the lifecycle strip, messages."""
from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from lifecycle import stages
from lifecycle.errors import LifecycleError
from lifecycle.literal import literal
from lifecycle.problem.projects import get_project
from lifecycle.records import Project
from ui import state

ICONS = {"done": "✅", "ready": "🔵", "blocked": "⛔", "not reached": "⚪"}
STATE_WORDS = {"done": "done", "ready": "to do", "blocked": "blocked", "not reached": "not reached"}
PAGE_PATHS = {"Problem": "pages/problem.py", "Data": "pages/data.py", "Develop": "pages/develop.py",
              "Validate": "pages/validate.py", "Deploy": "pages/deploy.py"}


def current_project() -> Project | None:
    project_id = state.project_id()
    if project_id is None:
        return None
    try:
        return get_project(state.workspace(), project_id)
    except LifecycleError:
        state.set_project(None)
        return None


def strip(project: Project | None) -> None:
    """The nine stages across the top: each marked done / to do / blocked / not reached."""
    states = stages.stage_states(state.workspace(), project)
    columns = st.columns(len(states))
    for column, stage in zip(columns, states):
        label = f"{ICONS[stage.state]} {stage.stage}"
        with column:
            if stage.stage in PAGE_PATHS:
                st.page_link(PAGE_PATHS[stage.stage], label=label, help=f"{STATE_WORDS[stage.state]}: {text(stage.reason)}")
            else:
                st.caption(f"{label}  \n{STATE_WORDS[stage.state]}", help=text(stage.reason))


def header(stage: str, project: Project | None) -> None:
    st.title(stage)
    st.caption(stages.purpose(stage))
    if project is not None:
        st.markdown(f"Project **{text(project.name)}** · {project.task} · target {text(project.target)}")
    strip(project)
    st.divider()


def text(value: object) -> str:
    """User data shown inside Markdown (bodies, captions, labels, help, status, toasts): the one
    escaping function, ``lifecycle.literal.literal``; charts use the same."""
    return literal(value)


log = logging.getLogger("lifecycle.ui")


@contextmanager
def error_boundary() -> Iterator[None]:
    """Around a whole page: an error nobody expected becomes a message with a reference number,
    and its details (the traceback, file paths) go to the server log only, never to the page."""
    try:
        yield
    except LifecycleError as error:
        st.error(f"**{text(error.problem)}** {text(error.fix)}", icon="🚫")
    except Exception:  # Streamlit's stop and rerun are BaseExceptions and pass through
        reference = uuid.uuid4().hex[:8]
        log.exception("Unexpected error on a page (reference %s)", reference)
        st.error(f"Something went wrong on this page (reference {reference}). Nothing was lost: every change "
                 "on record was saved before this point. Reload the page to try again; if it happens again, "
                 "give the reference to your admin, who finds the details in the server log.", icon="🚫")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Show a LifecycleError as a message in the page, never a stack trace."""
    try:
        yield
    except LifecycleError as error:
        st.error(f"**{text(error.problem)}** {text(error.fix)}", icon="🚫")


def disabled_reason(reason: str | None) -> None:
    if reason:
        st.caption(f"🔒 {text(reason)}")
