"""Records of the Retrain stage: A/B tests between a champion and a challenger."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ABTEST_STATUSES = ("running", "concluded", "rolled_back")
ABTEST_DECISIONS = ("promoted", "kept", "rolled_back")


@dataclass(frozen=True, kw_only=True)
class ABTest:
    """An A/B test on a project's live traffic: ``challenger_id`` answers ``share`` of the requests
    (split by request id), the champion the rest, from ``started_at`` until it is concluded or rolled
    back. ``plan`` is the sample plan (``retrain.power.SamplePlan`` as JSON: kind, MDE, α, power, the
    outcomes planned, τ²); ``result`` the verdict's numbers when it ended (empty while running)."""

    id: int
    project_id: int
    champion_id: int
    challenger_id: int
    share: float
    outcome: str  # what one labelled outcome is: "correct" (classification) or "absolute_error" (regression)
    plan: dict[str, Any]
    status: str  # one of ABTEST_STATUSES
    started_at: datetime
    started_by: str
    reason: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    decision: str | None = None  # one of ABTEST_DECISIONS once ended
    end_reason: str | None = None
    result: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"
