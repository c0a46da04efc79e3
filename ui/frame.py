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
from lifecycle.monitor.alerts import open_alert_counts
from lifecycle.problem.projects import get_project
from lifecycle.records import Project
from ui import state

# Each stage state: a Material icon, a colour and a word (never colour or a glyph alone; no emoji, which
# show as empty boxes where no emoji font is installed).
ICONS = {"done": ":material/check_circle:", "ready": ":material/radio_button_checked:",
         "blocked": ":material/block:", "not reached": ":material/radio_button_unchecked:"}
COLOURS = {"done": "green", "ready": "blue", "blocked": "red", "not reached": "gray"}
STATE_WORDS = {"done": "done", "ready": "to do", "blocked": "blocked", "not reached": "not reached"}


def state_label(state: str) -> str:
    """Markdown for a stage state: coloured icon and word, e.g. ':green[:material/check_circle: done]'."""
    return f":{COLOURS[state]}[{ICONS[state]} {STATE_WORDS[state]}]"
PAGE_PATHS = {"Problem": "pages/problem.py", "Data": "pages/data.py", "Develop": "pages/develop.py",
              "Validate": "pages/validate.py", "Deploy": "pages/deploy.py", "Monitor": "pages/monitor.py",
              "Retrain": "pages/retrain.py",
              "Govern": "pages/govern.py", "Retire": "pages/retire.py"}


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
        with column:
            if stage.stage in PAGE_PATHS:
                st.page_link(PAGE_PATHS[stage.stage], label=stage.stage, icon=ICONS[stage.state],
                             help=f"{STATE_WORDS[stage.state]}: {text(stage.reason)}")
            else:
                st.markdown(stage.stage, help=text(stage.reason))
            st.caption(state_label(stage.state))
            if stage.stage == "Monitor" and project is not None:
                _alert_badge(project)


def _alert_badge(project: Project) -> None:
    """The count of the project's open alerts under the Monitor stage (nothing when there are none)."""
    count = open_alert_counts(state.workspace()).get(project.id, 0)
    if count:
        st.markdown(f":red-badge[:material/notifications_active: {count} open alert{'s' if count != 1 else ''}]")


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
        st.error(f"**{text(error.problem)}** {text(error.fix)}", icon=":material/error:")
    except Exception:  # Streamlit's stop and rerun are BaseExceptions and pass through
        reference = uuid.uuid4().hex[:8]
        log.exception("Unexpected error on a page (reference %s)", reference)
        st.error(f"Something went wrong on this page (reference {reference}). Nothing was lost: every change "
                 "on record was saved before this point. Reload the page to try again; if it happens again, "
                 "give the reference to your admin, who finds the details in the server log.", icon=":material/error:")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Show a LifecycleError as a message in the page, never a stack trace."""
    try:
        yield
    except LifecycleError as error:
        st.error(f"**{text(error.problem)}** {text(error.fix)}", icon=":material/error:")


def dismiss_button(key: str, on_click, *args, **kwargs) -> None:
    """A small "Dismiss" under a message the user may close (what the last action did, an ended job)."""
    st.button("Dismiss", key=key, type="tertiary", icon=":material/close:", on_click=on_click, args=args,
              kwargs=kwargs)


def last_action(name: str, message: str, *, project_id: int | None, item: object = None) -> None:
    """What the last action did (remembered under ``name``): shown until dismissed or another page opens."""
    st.success(message, icon=":material/check_circle:")
    dismiss_button(f"dismiss_{name}_{project_id}_{item}", state.forget, name, project_id=project_id, item=item)


def disabled_reason(reason: str | None) -> None:
    if reason:
        st.caption(f":material/lock: {text(reason)}")
