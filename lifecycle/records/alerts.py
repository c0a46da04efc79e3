"""Records of the Monitor stage's alerts: an alert, each attempt to deliver it, a project's webhook."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

ALERT_KINDS = ("objective", "drift")
ALERT_STATES = ("open", "acknowledged", "resolved")  # the only order an alert walks (open may go straight to resolved)
DELIVERY_STATES = ("none", "pending", "delivered")  # none: no webhook was set when it was raised


@dataclass(frozen=True, kw_only=True)
class AlertDelivery:
    """One attempt to send an alert to its project's webhook: when, the HTTP status (None when no
    answer came), the error in words ('' on success)."""

    alert_id: int
    attempt: int  # 1, 2, ... for this alert
    at: datetime
    url_host: str  # where it went (the host only: a webhook's path often holds its secret)
    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


@dataclass(frozen=True, kw_only=True)
class Alert:
    """An objective breached (by its whole bootstrap interval) or a drift confirmed, with its evidence.

    ``key`` makes raising idempotent: one alert per (project, key). ``evidence`` is JSON: the
    windows, the numbers and a ``chart`` (series enough to redraw it). ``id`` is what a later
    Retrain policy reads to say which alert started it.
    """

    id: int
    project_id: int
    model_version_id: int | None
    kind: str  # one of ALERT_KINDS
    key: str
    title: str
    evidence: dict[str, Any]
    state: str  # one of ALERT_STATES
    opened_at: datetime
    opened_by: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_comment: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolved_comment: str | None = None
    delivery: str = "none"  # one of DELIVERY_STATES
    next_delivery_at: datetime | None = None  # when a pending delivery is next tried
    deliveries: tuple[AlertDelivery, ...] = ()  # every attempt, oldest first

    @property
    def is_open(self) -> bool:
        """Not resolved yet (open or acknowledged): what Home and the strip count."""
        return self.state != "resolved"


@dataclass(frozen=True, kw_only=True)
class Webhook:
    """Where a project's alerts are posted (http or https), set by whom and when."""

    project_id: int
    url: str
    set_by: str
    set_at: datetime

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.rsplit("@", 1)[-1]
