"""The sign-in page throttles repeated failures, and an idle session is signed out (issue 11, case 4)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from lifecycle.access import sessions
from tests.app.conftest import APP, no_exceptions


def _sign_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="login_name").set_value(name)
    app.text_input(key="login_password").set_value(password)
    return next(b for b in app.button if b.label == "Sign in").click().run()


def test_repeated_failures_make_the_page_ask_to_wait(empty_app):
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    for _ in range(3):
        _sign_in(app, "admin", "wrong password")
        assert "do not match" in app.error[0].value
    _sign_in(app, "admin", "admin-password")  # right, but right after three failures
    no_exceptions(app)
    assert "Too many failed sign" in app.error[0].value and "Wait" in app.error[0].value
    assert "user" not in app.session_state


def test_an_idle_session_is_signed_out(empty_app, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_SESSION_IDLE_MINUTES", "1")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    _sign_in(app, "admin", "admin-password")
    no_exceptions(app)
    assert app.session_state["user"] == "admin"
    session_id = app.session_state["session_id"]
    # The same session, seen last long ago (a fresh AppTest: a rerun of the old one would skip app.py).
    sessions.touch(session_id, now=0.0)
    later = AppTest.from_file(str(APP), default_timeout=60)
    later.session_state["user"], later.session_state["session_id"] = "admin", session_id
    later.run()
    no_exceptions(later)
    assert "user" not in later.session_state
    assert any("signed out after a while without activity" in i.value for i in later.info)
