"""Signing in and staying signed in: a throttle on failed sign-ins and an idle expiry.

**Throttle.** Every failed sign-in is on the audit trail (``auth.sign_in_failed``, with the
client and the delay it sets). After ``free`` failures within the window, each further attempt
for that user name, or from that client, must wait a delay that doubles with every failure
(1 s, 2 s, 4 s, ... up to 15 minutes); an attempt made while waiting is refused without
checking the password, so guessing gains nothing, and is not itself recorded (the trail
cannot be flooded). A successful sign-in (``auth.signed_in``) clears the user name's count.
The counts are read back from the audit trail, so a restart does not reset them.

**Idle expiry.** The app calls ``touch(session_id)`` on each interaction and asks
``expired(session_id)`` first: a session idle for longer than ``LIFECYCLE_SESSION_IDLE_MINUTES``
is signed out. The last-seen times live in this process, as the sessions themselves do.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lifecycle import auth, config, names
from lifecycle.errors import InputError, LifecycleError
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

FAILED = "auth.sign_in_failed"
SIGNED_IN = "auth.signed_in"


class SignInThrottled(LifecycleError):
    """Too many failed sign-ins for a user name or from a client; the message says how long to wait."""


@dataclass(frozen=True, kw_only=True)
class Throttle:
    free_per_user: int = 3  # failures before any delay, per user name
    free_per_client: int = 10  # per client (a shared office address holds several people)
    base_delay_s: float = 1.0
    max_delay_s: float = 900.0
    window_s: float = 3600.0  # failures older than this are forgotten

    def delay(self, failures: int, free: int) -> float:
        return 0.0 if failures < free else min(self.base_delay_s * 2 ** (failures - free), self.max_delay_s)


THROTTLE = Throttle()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _failures(workspace: Workspace, name: str, client: str, throttle: Throttle, now: datetime):
    """(failures for the name since its last success, their last time), the same for the client."""
    start = (now - timedelta(seconds=throttle.window_s)).isoformat(timespec="microseconds")
    events = audit_log.since(workspace.db.cursor(), actions=(FAILED, SIGNED_IN), at_or_after=start)
    user_failures: list[datetime] = []
    client_failures: list[datetime] = []
    for event in events:
        at = datetime.fromisoformat(event.at)
        if event.entity == f"user:{name}":
            user_failures = [] if event.action == SIGNED_IN else [*user_failures, at]
        if event.action == FAILED and event.details.get("client") == client:
            client_failures.append(at)
    return user_failures, client_failures


def _wait(failures: list[datetime], free: int, throttle: Throttle, now: datetime) -> float:
    if not failures:
        return 0.0
    return max(0.0, throttle.delay(len(failures), free) - (now - failures[-1]).total_seconds())


def sign_in(workspace: Workspace, name: str, password: str, *, client: str,
            throttle: Throttle = THROTTLE, now: datetime | None = None) -> User:
    """The user, or InputError (no match, recorded) or SignInThrottled (too soon after failures)."""
    name = names.clean(name)[:64]
    client = names.clean(client)[:64] or "unknown"
    now = now or _now()
    user_failures, client_failures = _failures(workspace, name, client, throttle, now)
    for failures, free, who in ((user_failures, throttle.free_per_user, f"for {name!r}"),
                                (client_failures, throttle.free_per_client, "from this computer")):
        wait = _wait(failures, free, throttle, now)
        if wait > 0:
            raise SignInThrottled(f"Too many failed sign-ins {who}: {len(failures)} in a row.",
                                  f"Wait {wait:.0f} s and try again; an admin can reset a forgotten password.")
    user = auth.authenticate(workspace, name, password)
    with workspace.db.transaction() as cursor:
        if user is None:
            failures = len(user_failures) + 1
            delay = max(throttle.delay(failures, throttle.free_per_user),
                        throttle.delay(len(client_failures) + 1, throttle.free_per_client))
            audit_log.append(cursor, actor=name or "(empty)", action=FAILED, entity=f"user:{name}",
                             details={"client": client, "failures": failures, "delay_s": delay})
        else:
            audit_log.append(cursor, actor=name, action=SIGNED_IN, entity=f"user:{name}",
                             details={"client": client})
    if user is None:
        raise InputError("That user name and password do not match.",
                         "Check both and try again; an admin can reset a password.")
    return user


# ---------------------------------------------------------------------------- idle expiry

_last_seen: dict[str, float] = {}
_lock = threading.Lock()


def touch(session_id: str, now: float | None = None) -> None:
    """Record activity of a signed-in session."""
    with _lock:
        _last_seen[session_id] = time.monotonic() if now is None else now


def expired(session_id: str, now: float | None = None, idle_s: float | None = None) -> bool:
    """True when the session was active before and has been idle longer than the limit."""
    idle_s = config.session_idle_seconds() if idle_s is None else idle_s
    with _lock:
        seen = _last_seen.get(session_id)
    if seen is None or idle_s <= 0:
        return False
    return (time.monotonic() if now is None else now) - seen > idle_s


def forget(session_id: str) -> None:
    with _lock:
        _last_seen.pop(session_id, None)
