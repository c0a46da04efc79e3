"""Records of the Retrain stage: A/B tests between a champion and a challenger, retraining policies and retrains."""
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


POLICY_TRIGGERS = ("manual", "alert", "schedule")
WINDOW_KINDS = ("reference", "production", "both")
SEARCH_SOURCES = ("production_search", "production_params", "custom")
RETRAIN_STATES = ("running", "done", "failed", "cancelled")


@dataclass(frozen=True, kw_only=True)
class DataWindow:
    """The rows a retrain trains on: the production version's own dataset version (``reference``),
    the labelled production rows of the prediction log (``production``), or ``both``. The time range
    (``since``/``until``, naive UTC, or the ``last_days`` before the retrain starts) bounds the
    production rows only; the reference is taken whole."""

    kind: str  # one of WINDOW_KINDS
    since: datetime | None = None
    until: datetime | None = None
    last_days: float | None = None

    @property
    def uses_reference(self) -> bool:
        return self.kind in ("reference", "both")

    @property
    def uses_production(self) -> bool:
        return self.kind in ("production", "both")


@dataclass(frozen=True, kw_only=True)
class SearchChoice:
    """The search a retrain runs: ``production_search`` (again the search that produced the
    production version's run, as Develop stored it), ``production_params`` (the production run's own
    parameters, refitted: one trial), or ``custom`` (``algorithm``, ``method``, ``space``, ``trials``,
    ``cv_folds``, ``seed`` as Develop's ``run_search`` takes them)."""

    source: str  # one of SEARCH_SOURCES
    algorithm: str | None = None
    method: str | None = None
    space: dict[str, Any] | None = None
    trials: int | None = None
    cv_folds: int | None = None
    seed: int | None = None


@dataclass(frozen=True, kw_only=True)
class RetrainPolicy:
    """When a project retrains (``trigger``: ``manual``; ``alert``: on each open Monitor alert of
    ``alert_kinds``, once per alert; ``schedule``: every ``every_days`` days), on which rows
    (``window``) and with which search. Automatic retrains act as ``updated_by``, the last person who
    saved or enabled the policy: their role must still allow retraining."""

    id: int
    project_id: int
    name: str
    trigger: str  # one of POLICY_TRIGGERS
    alert_kinds: tuple[str, ...]
    every_days: float | None
    window: DataWindow
    search: SearchChoice
    enabled: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @property
    def owner(self) -> str:
        """Who an automatic retrain of this policy acts as."""
        return self.updated_by


@dataclass(frozen=True, kw_only=True)
class Retrain:
    """One retrain and its lineage: what caused it (``trigger``: ``manual`` by ``requested_by``,
    ``alert`` #``alert_id``, ``schedule`` due at ``scheduled_for``), the rows and search it resolved
    (``window``, ``search`` as JSON), what it made (raw and frozen dataset versions, split, search, the
    naive baseline's search, model version, validation) and how it ended (``state``; ``message`` says why a failed or cancelled
    one stopped). ``counts`` holds the rows taken from each source; ``comparison`` the champion
    against the new version (``retrain.compare.Comparison.to_dict``), once made."""

    id: int
    project_id: int
    policy_id: int
    trigger: str  # one of POLICY_TRIGGERS
    alert_id: int | None
    scheduled_for: datetime | None
    requested_by: str
    acting_as: str
    champion_id: int | None
    window: dict[str, Any]
    search: dict[str, Any]
    state: str  # one of RETRAIN_STATES
    step: str
    raw_dataset_id: int | None
    dataset_id: int | None
    split_id: int | None
    search_id: int | None
    baseline_search_id: int | None  # the naive baseline cross-validated on the same split
    model_version_id: int | None
    validation_id: int | None
    validation_passed: bool | None
    comparison: dict[str, Any] | None
    counts: dict[str, Any]
    notes: tuple[str, ...]
    message: str
    started_at: datetime
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def cancelled(self) -> bool:
        """True once it ended cancelled (a background job reads this to say so)."""
        return self.state == "cancelled"
