"""Sign-in throttle (per user name and per client, on the audit trail) and idle expiry (issue 11, case 4)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lifecycle import audit, auth
from lifecycle.access import sessions
from lifecycle.errors import InputError

RIGHT = "correct horse battery"


@pytest.fixture
def pat(workspace, actors):
    return auth.add_user(workspace, actors["admin"], "pat", "analyst", RIGHT)


def _later(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_failures_grow_a_delay_that_even_the_right_password_must_wait_out(workspace, pat):
    for _ in range(3):  # the free failures
        with pytest.raises(InputError, match="do not match"):
            sessions.sign_in(workspace, "pat", "wrong", client="10.0.0.1")
    with pytest.raises(sessions.SignInThrottled, match="Too many failed sign-ins for 'pat': 3 in a row"):
        sessions.sign_in(workspace, "pat", "wrong", client="10.0.0.1")  # at once: refused unchecked
    # The delay after the third failure is 1 s; after it, one more try; then 2 s, 4 s, ...
    delays = []
    for attempt in range(4):
        with pytest.raises(InputError, match="do not match"):
            sessions.sign_in(workspace, "pat", "wrong", client="10.0.0.1", now=_later(2 ** (attempt + 1)))
        delays.append(audit.recent_events(workspace, limit=1)[0].details["delay_s"])
    assert delays == [2.0, 4.0, 8.0, 16.0]
    with pytest.raises(sessions.SignInThrottled, match="Wait 1[0-9] s"):
        sessions.sign_in(workspace, "pat", RIGHT, client="10.0.0.1")  # right, but too soon: not even checked
    assert sessions.sign_in(workspace, "pat", RIGHT, client="10.0.0.1", now=_later(60)).name == "pat"
    # a success clears the count for the name
    with pytest.raises(InputError, match="do not match"):
        sessions.sign_in(workspace, "pat", "wrong", client="10.0.0.1", now=_later(61))


def test_the_trail_records_failures_and_sign_ins_but_not_refusals(workspace, pat):
    before = len(audit.recent_events(workspace, limit=1000))
    for _ in range(3):
        with pytest.raises(InputError):
            sessions.sign_in(workspace, "pat", "wrong", client="c1")
    for _ in range(20):
        with pytest.raises(sessions.SignInThrottled):
            sessions.sign_in(workspace, "pat", "wrong", client="c1")
    events = audit.recent_events(workspace, limit=1000)
    assert len(events) == before + 3
    last = events[-1]
    assert (last.action, last.entity, last.details) == (
        "auth.sign_in_failed", "user:pat", {"client": "c1", "failures": 3, "delay_s": 1.0})


def test_one_client_trying_many_names_is_throttled(workspace, pat):
    for i in range(10):
        with pytest.raises(InputError, match="do not match"):
            sessions.sign_in(workspace, f"guess{i}", "x", client="203.0.113.9")
    with pytest.raises(sessions.SignInThrottled, match="from this computer"):
        sessions.sign_in(workspace, "pat", RIGHT, client="203.0.113.9")
    assert sessions.sign_in(workspace, "pat", RIGHT, client="198.51.100.1").name == "pat"  # another client


def test_the_delay_is_capped():
    throttle = sessions.Throttle()
    assert [throttle.delay(n, 3) for n in (0, 2, 3, 4, 5)] == [0, 0, 1, 2, 4]
    assert throttle.delay(40, 3) == throttle.max_delay_s == 900


def test_an_idle_session_expires(monkeypatch):
    sessions.touch("s1", now=1000.0)
    assert not sessions.expired("s1", now=1000.0 + 29 * 60, idle_s=30 * 60)
    assert sessions.expired("s1", now=1000.0 + 31 * 60, idle_s=30 * 60)
    assert not sessions.expired("s1", now=1e9, idle_s=0)  # 0: never
    assert not sessions.expired("never-seen", now=1e9, idle_s=1)
    monkeypatch.setenv("LIFECYCLE_SESSION_IDLE_MINUTES", "0.5")
    assert sessions.expired("s1", now=1000.0 + 31)
    sessions.forget("s1")
    assert not sessions.expired("s1", now=1e9, idle_s=1)
