"""The move buttons of a model version (Validate and Deploy pages): each possible move, allowed or
disabled with the reason, one reason field; moves go through the Deploy stage's ``promotion.move``
so the state machine checks the gate and the serving manifest follows. Approval is not a button here:
it is the reviewers' sign-off on the Govern page, linked instead."""
from __future__ import annotations

import streamlit as st

from lifecycle.deploy import promotion
from lifecycle.models import states as model_states
from lifecycle.records import ModelState, ModelVersion, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors, text


def render(workspace: Workspace, user: User, version: ModelVersion, *, only: tuple[str, ...] | None = None,
           key: str = "move") -> None:
    moves = [m for m in model_states.possible_moves(workspace, user, version)
             if (only is None or m.to_state in only) and m.to_state != ModelState.APPROVED]
    if version.state in (ModelState.VALIDATED, ModelState.STAGING) and not version.approved:
        st.page_link("pages/govern.py", label="Approval is the reviewers' sign-off: open the Govern page",
                     icon=":material/verified_user:")
    if not moves:
        return
    reason_key = f"{key}_reason_{version.id}"
    reason = st.text_input("Reason for the move (goes to the audit trail)", key=reason_key)
    columns = st.columns(len(moves))
    for column, move in zip(columns, moves):
        with column:
            if st.button(f"Move to {move.to_state}", key=f"{key}_{move.to_state}", disabled=not move.allowed,
                         help=None if move.allowed else move.reason):
                with reported_errors():
                    promotion.move(workspace, user, version.id, move.to_state, reason)
                    st.toast(f"Moved to {move.to_state}", icon=":material/check_circle:")
                    state.clear_widget(reason_key)  # a used reason must not sit ready for the next move
                    st.rerun()
            if not move.allowed:
                st.caption(f":material/lock: {text(move.reason)}")
