"""Alerts: raised once per (project, key), then acknowledged and resolved by a person, with a
comment, every step on the audit trail in the same transaction.

An alert is raised by a rule, not a person (``"system"`` on the audit trail): objective breaches by
``monitor.alert_rules.evaluate_alerts``, drift confirmations by whoever wires the drift engine to
:func:`raise_alert`. Its ``key`` makes raising idempotent, so a rule may run on every refresh.
When the project has a webhook the alert is queued for delivery (``monitor.webhook``) in the same
transaction, so it cannot be lost between being stored and being sent.

A later Retrain policy reads alerts here (:func:`alerts_for`, :func:`open_alerts`) and names the
``Alert.id`` that started it; nothing here starts a retrain.
"""
from __future__ import annotations

import json
from typing import Any

from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.dataclass_json import to_jsonable
from lifecycle.errors import InputError, NotFound
from lifecycle.records import ALERT_KINDS, ALERT_STATES, Alert, User
from lifecycle.store import alerts as alert_store
from lifecycle.store import audit_log
from lifecycle.store import projects as project_store
from lifecycle.workspace import Workspace

SYSTEM = "system"  # the actor of a raised alert on the audit trail
MAX_KEY = 200
MAX_TITLE = 300
MAX_COMMENT = 2000
RAISED, ACKNOWLEDGED, RESOLVED = "alert.raised", "alert.acknowledged", "alert.resolved"


def _json(evidence: Any) -> dict[str, Any]:
    """``evidence`` as plain JSON (dataclasses, numpy and tuples turned plain, NaN and ±inf None)."""
    if not isinstance(evidence, dict):
        raise InputError(f"Alert evidence must be a JSON object, not {type(evidence).__name__}.",
                         "Pass a dict of windows, numbers and a chart.")
    plain = to_jsonable(evidence)
    try:
        return json.loads(json.dumps(plain, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InputError(f"Alert evidence cannot be stored as JSON ({error}).",
                         "Pass numbers, text, lists and dicts only.") from None


def raise_alert(workspace: Workspace, *, project_id: int, model_version_id: int | None, kind: str, key: str,
                title: str, evidence: dict[str, Any]) -> Alert | None:
    """Store a new open alert and its audit event (and queue its delivery when the project has a
    webhook); None when the project already has an alert with ``key`` (nothing written), so a rule
    can call it on every refresh. ``kind`` is ``"objective"`` or ``"drift"``; ``evidence`` a JSON
    object (windows, numbers, ``chart``). Raises InputError for a bad kind, key, title or evidence,
    NotFound for an unknown project."""
    if kind not in ALERT_KINDS:
        raise InputError(f"Alert kind {kind!r} is not one of {', '.join(ALERT_KINDS)}.", "Pick one of them.")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise InputError(f"The alert key {key!r} must be text of 1 to {MAX_KEY} characters.",
                         "Build it from what identifies the event (e.g. the objective and its first window).")
    if not isinstance(title, str) or not title.strip():
        raise InputError("An alert needs a title.", "Say in one line what happened.")
    plain = _json(evidence)
    with workspace.db.transaction() as cursor:
        if project_store.get(cursor, project_id) is None:
            raise NotFound(f"No project #{project_id}.", "Pick an existing project.")
        delivery = "pending" if alert_store.webhook(cursor, project_id) is not None else "none"
        alert = alert_store.insert(cursor, project_id=project_id, model_version_id=model_version_id, kind=kind,
                                   key=key, title=title.strip()[:MAX_TITLE], evidence=plain, opened_at=utc_now(),
                                   opened_by=SYSTEM, delivery=delivery)
        if alert is not None:
            audit_log.append(cursor, actor=SYSTEM, action=RAISED, entity=f"alert:{alert.id}",
                             details={"project_id": project_id, "model_version_id": model_version_id, "kind": kind,
                                      "key": key, "title": alert.title, "delivery": delivery})
    return alert


def get_alert(workspace: Workspace, alert_id: int) -> Alert:
    """The alert with its delivery attempts. Raises NotFound."""
    alert = alert_store.get(workspace.db.cursor(), int(alert_id))
    if alert is None:
        raise NotFound(f"No alert #{alert_id}.", "List the alerts with `alerts list` and use one of their ids.")
    return alert


def _comment(comment: str, what: str) -> str:
    text = (comment or "").strip() if isinstance(comment, str) else ""
    if not text:
        raise InputError(f"{what} an alert needs a comment.", "Say what was found or done, for the audit trail.")
    if len(text) > MAX_COMMENT:
        raise InputError(f"The comment is {len(text):,} characters, over {MAX_COMMENT:,}.", "Shorten it.")
    return text


def _move(workspace: Workspace, actor: User, alert_id: int, comment: str, to_state: str) -> Alert:
    require(actor, Permission.HANDLE_ALERTS)
    what = "Acknowledging" if to_state == "acknowledged" else "Resolving"
    text = _comment(comment, what)
    with workspace.db.transaction() as cursor:
        alert = alert_store.get(cursor, int(alert_id))
        if alert is None:
            raise NotFound(f"No alert #{alert_id}.", "List the alerts with `alerts list` and use one of their ids.")
        if ALERT_STATES.index(alert.state) >= ALERT_STATES.index(to_state):
            by = alert.resolved_by if alert.state == "resolved" else alert.acknowledged_by
            raise InputError(f"Alert #{alert.id} is already {alert.state} (by {by}).",
                             "Nothing to do." if alert.state == to_state else
                             "A resolved alert stays resolved; a new breach raises a new alert.")
        alert_store.set_state(cursor, alert.id, state=to_state, by=actor.name, at=utc_now(), comment=text)
        audit_log.append(cursor, actor=actor.name, action=ACKNOWLEDGED if to_state == "acknowledged" else RESOLVED,
                         entity=f"alert:{alert.id}", details={"project_id": alert.project_id, "from": alert.state,
                                                              "comment": text})
        return alert_store.get(cursor, alert.id)


def acknowledge(workspace: Workspace, actor: User, alert_id: int, comment: str) -> Alert:
    """Mark an open alert as seen, with a comment (who and when are recorded). Raises
    PermissionDenied (needs HANDLE_ALERTS), NotFound, InputError (no comment, or it is already
    acknowledged or resolved)."""
    return _move(workspace, actor, alert_id, comment, "acknowledged")


def resolve(workspace: Workspace, actor: User, alert_id: int, comment: str) -> Alert:
    """Close an open or acknowledged alert, with a comment. Raises PermissionDenied (needs
    HANDLE_ALERTS), NotFound, InputError (no comment, or it is already resolved)."""
    return _move(workspace, actor, alert_id, comment, "resolved")


def open_alerts(workspace: Workspace, project_id: int | None = None) -> list[Alert]:
    """Unresolved alerts (open or acknowledged), newest first, of one project or of all: what Home
    and the lifecycle strip show."""
    return alert_store.listed(workspace.db.cursor(), project_id=project_id, states=("open", "acknowledged"))


def open_alert_counts(workspace: Workspace) -> dict[int, int]:
    """Unresolved alerts per project id (projects without any left out), for the portfolio."""
    return alert_store.open_counts(workspace.db.cursor())


def alerts_for(workspace: Workspace, project_id: int | None = None, *, state: str | None = None,
               kind: str | None = None, limit: int | None = None) -> list[Alert]:
    """Alerts newest first, filtered by project, state (``open``, ``acknowledged``, ``resolved``)
    and kind. Raises InputError for an unknown state or kind."""
    if state is not None and state not in ALERT_STATES:
        raise InputError(f"Alert state {state!r} is not one of {', '.join(ALERT_STATES)}.", "Pick one of them.")
    if kind is not None and kind not in ALERT_KINDS:
        raise InputError(f"Alert kind {kind!r} is not one of {', '.join(ALERT_KINDS)}.", "Pick one of them.")
    return alert_store.listed(workspace.db.cursor(), project_id=project_id,
                              states=None if state is None else (state,), kind=kind, limit=limit)

