"""Stores (or clears) the sign-in cookie in the browser: Streamlit reads cookies
(``st.context.cookies``) but has no call to set one, so a one-line script does it."""
from __future__ import annotations

import json

import streamlit as st

from lifecycle.access import session_cookie
from ui import state


def cookie_header(token: str) -> str:
    """The ``document.cookie`` assignment: the token with its lifetime, or an expired empty cookie."""
    max_age = session_cookie.max_age_seconds() if token else 0
    return f"{session_cookie.COOKIE}={token}; Path=/; Max-Age={max_age}; SameSite=Strict"


def write_pending() -> None:
    """After a sign-in or a sign-out, once: tell the browser to keep the new token (or forget the old one)."""
    token = state.take_cookie_to_write()
    if token is None:
        return
    st.html(f"<script>document.cookie = {json.dumps(cookie_header(token))}"
            " + (location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)
