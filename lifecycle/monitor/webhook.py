"""Alerts sent to a project's webhook: a JSON POST in the shape chat tools accept, retried until
it is delivered, every attempt on record.

The body is a Slack / Mattermost incoming-webhook message (``text`` plus one legacy
``attachments`` entry with ``fields``, which both accept) and a ``lifecycle`` object with the
alert's structured fields and evidence (without the chart's series) for any other receiver. Text
is escaped as Slack asks (``&``, ``<``, ``>``), so a title is shown as written and never read as a
link or a mention.

An alert raised while the project has a webhook is *pending* from the moment it is stored. One
raised while it had none is not sent anywhere; setting a webhook later queues the alerts still open
(``send_open``, the default, as Alertmanager and Grafana notify a new receiver of what is still
firing; acknowledged and resolved ones are not sent), and they go out with the next delivery round.
:func:`deliver_pending` posts each pending alert that is due: on a failure (no answer, or a status
outside 2xx; a redirect counts as a failure) it retries after ``backoff_seconds``, doubling, up to
``retries`` more times; an alert still undelivered stays pending and is due again after
``RETRY_AFTER`` seconds, doubling with every failed round up to ``MAX_RETRY_AFTER``, so the next
refresh tries it again. Nothing is dropped. Each attempt (time, host, HTTP status, error) is
stored with the alert and shown on it. Posting uses the standard library (``urllib``).
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlsplit

import lifecycle
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_text
from lifecycle.problem import projects
from lifecycle.records import Alert, User, Webhook
from lifecycle.store import alerts as alert_store
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

RETRIES = 2  # tries after the first, within one round
BACKOFF_SECONDS = 0.5  # wait before the first retry of a round, doubled for each next one
RETRY_AFTER = 60  # seconds until an undelivered alert is due again, doubled per failed round
MAX_RETRY_AFTER = 3600
TIMEOUT_SECONDS = 5.0
MAX_URL = 2000
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def check_url(url: str) -> str:
    """``url`` stripped when it is an absolute http or https URL with a host; InputError otherwise."""
    text = (url or "").strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"The webhook URL {text!r} is not an http or https URL with a host.",
                         "Paste the full incoming-webhook URL your chat tool gives, such as "
                         "https://hooks.slack.com/services/....")
    if len(text) > MAX_URL or any(c.isspace() for c in text):
        raise InputError("The webhook URL is too long or holds spaces.", "Paste the URL exactly as given.")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InputError(f"The webhook URL {text!r} has a port that is not a number from 1 to 65535.",
                         "Fix the port.") from None
    return text


def set_webhook(workspace: Workspace, actor: User, project_id: int, url: str | None, *,
                send_open: bool = True) -> Webhook | None:
    """Set (or, with ``url`` None or empty, remove) the project's webhook, with its audit event
    (the host and a hash of the URL: its path often holds the secret, and the alerts queued). With
    ``send_open`` the open alerts raised while no webhook was set (:func:`unsent_open`) are queued in
    the same transaction and go out with the next delivery round (``deliver_pending``, run by every
    monitoring refresh). Raises PermissionDenied (needs CONFIGURE_ALERTS), NotFound for the project,
    InputError for a URL that is not http(s)."""
    require(actor, Permission.CONFIGURE_ALERTS)
    project = projects.get_project(workspace, project_id)
    checked = None if url is None or not str(url).strip() else check_url(url)
    with workspace.db.transaction() as cursor:
        if checked is None:
            alert_store.remove_webhook(cursor, project.id)
            audit_log.append(cursor, actor=actor.name, action="alert.webhook_removed", entity=f"project:{project.id}")
            return None
        now = utc_now()
        hook = alert_store.put_webhook(cursor, project.id, checked, set_by=actor.name, set_at=now)
        queued = alert_store.queue_unsent_open(cursor, project.id, now) if send_open else []
        audit_log.append(cursor, actor=actor.name, action="alert.webhook_set", entity=f"project:{project.id}",
                         details={"host": hook.host, "url_sha256": sha256_text(checked), "queued_alerts": queued})
    return hook


def unsent_open(workspace: Workspace, project_id: int) -> list[Alert]:
    """The project's open alerts raised while it had no webhook, never sent (oldest first): what
    setting a webhook with ``send_open`` queues."""
    return alert_store.unsent_open(workspace.db.cursor(), project_id)


def webhook_of(workspace: Workspace, project_id: int) -> Webhook | None:
    """The project's webhook, or None."""
    return alert_store.webhook(workspace.db.cursor(), project_id)


def _escaped(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(alert: Alert, project_name: str) -> dict[str, Any]:
    """The JSON body posted for ``alert`` of the project called ``project_name``."""
    evidence = {k: v for k, v in alert.evidence.items() if k != "chart"}
    reason = str(evidence.get("reason", ""))
    fields = [{"title": "Project", "value": _escaped(project_name), "short": True},
              {"title": "Kind", "value": alert.kind, "short": True},
              {"title": "Alert", "value": f"#{alert.id} ({alert.state})", "short": True},
              {"title": "Opened", "value": f"{alert.opened_at:%Y-%m-%d %H:%M} UTC", "short": True}]
    if "version" in evidence:
        fields.insert(1, {"title": "Model", "value": _escaped(evidence["version"]), "short": True})
    return {
        "text": _escaped(f"Lifecycle alert #{alert.id} on {project_name}: {alert.title}"),
        "attachments": [{"fallback": _escaped(alert.title), "color": "#d62728", "title": _escaped(alert.title),
                         "text": _escaped(reason), "fields": fields}],
        "lifecycle": {"alert_id": alert.id, "project_id": alert.project_id, "project": project_name,
                      "model_version_id": alert.model_version_id, "kind": alert.kind, "key": alert.key,
                      "title": alert.title, "state": alert.state, "opened_at": alert.opened_at.isoformat(),
                      "evidence": evidence},
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's hook
        raise urllib.error.HTTPError(req.full_url, code, f"redirected to {newurl}; set the final URL as the webhook",
                                     headers, fp)


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: dict[str, Any], *, timeout: float = TIMEOUT_SECONDS) -> tuple[int | None, str]:
    """POST ``body`` as JSON to ``url``: (HTTP status or None, error in words or '' on a 2xx)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": f"lifecycle/{lifecycle.__version__}"})
    try:
        with _opener.open(request, timeout=timeout) as answer:
            status = answer.status
            answer.read(1024)
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}: {error.reason}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, f"no answer: {reason}"
    return (status, "") if 200 <= status < 300 else (status, f"HTTP {status}")


@dataclass(frozen=True, kw_only=True)
class DeliveryReport:
    """One delivery round of a project: alerts delivered, still pending, and attempts made."""

    project_id: int
    delivered: tuple[int, ...]
    pending: tuple[int, ...]
    attempts: int
    waiting_for_webhook: bool = False  # pending alerts but no webhook set


def _lock(workspace: Workspace) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(workspace.path), threading.Lock())


def _next_due(alert: Alert, now: datetime, per_round: int) -> datetime:
    rounds = max(1, -(-(len(alert.deliveries) + per_round) // per_round))
    return now + timedelta(seconds=min(MAX_RETRY_AFTER, RETRY_AFTER * 2 ** (rounds - 1)))


def deliver_pending(workspace: Workspace, project_id: int, *, now: datetime | None = None, retries: int = RETRIES,
                    backoff_seconds: float = BACKOFF_SECONDS, timeout: float = TIMEOUT_SECONDS,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Post every pending alert of ``project_id`` that is due at ``now`` to the project's webhook,
    retrying as the module says; each attempt is stored with the alert. Raises NotFound for an
    unknown project."""
    project = projects.get_project(workspace, project_id)
    with _lock(workspace):
        now = now or utc_now()
        due = alert_store.due(workspace.db.cursor(), project.id, now)
        hook = webhook_of(workspace, project.id)
        if hook is None:
            return DeliveryReport(project_id=project.id, delivered=(), pending=tuple(a.id for a in due), attempts=0,
                                  waiting_for_webhook=bool(due))
        delivered, pending, attempts = [], [], 0
        for alert in due:
            body = payload(alert, project.name)
            ok = False
            for attempt in range(retries + 1):
                if attempt:
                    sleep(backoff_seconds * 2 ** (attempt - 1))
                status, error = post(hook.url, body, timeout=timeout)
                attempts += 1
                with workspace.db.transaction() as cursor:
                    alert_store.add_delivery(cursor, alert_id=alert.id, at=utc_now(), url_host=hook.host,
                                             status=status, error=error)
                    if not error:
                        alert_store.set_delivery(cursor, alert.id, delivery="delivered", next_at=None)
                        audit_log.append(cursor, actor="system", action="alert.delivered", entity=f"alert:{alert.id}",
                                         details={"host": hook.host, "status": status, "attempts": attempt + 1})
                if not error:
                    ok = True
                    break
            if ok:
                delivered.append(alert.id)
                continue
            with workspace.db.transaction() as cursor:
                alert_store.set_delivery(cursor, alert.id, delivery="pending",
                                         next_at=_next_due(alert, now, retries + 1))
            pending.append(alert.id)
    return DeliveryReport(project_id=project.id, delivered=tuple(delivered), pending=tuple(pending), attempts=attempts)
