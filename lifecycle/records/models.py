"""Records of the model registry: model versions and their validation reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ModelState(StrEnum):
    """Where a model version stands. Members are declared in the one order of the path a version
    walks (candidate → validated → approved → staging → production → retired); ``rejected`` is
    a dead end off that path. A member equals its stored string (``ModelState.STAGING == "staging"``).
    """

    CANDIDATE = "candidate"
    VALIDATED = "validated"
    APPROVED = "approved"
    STAGING = "staging"
    PRODUCTION = "production"
    RETIRED = "retired"
    REJECTED = "rejected"

    @classmethod
    def path(cls) -> tuple[ModelState, ...]:
        """The states in the order a version walks them (``rejected`` is not on the path)."""
        return tuple(s for s in cls if s is not cls.REJECTED)

    @classmethod
    def at_least(cls, state: str) -> tuple[ModelState, ...]:
        """``state`` and every state after it on the path: ``at_least("validated")`` is
        validated, approved, staging, production, retired."""
        path = cls.path()
        return path[path.index(cls(state)):]

    def reached(self, state: str) -> bool:
        """True when this state is ``state`` or later on the path (never for ``rejected``)."""
        return self in ModelState.at_least(state)

    @property
    def is_closed(self) -> bool:
        """Retired or rejected: nothing more happens to the version (no validation, no mitigation)."""
        return self in (ModelState.RETIRED, ModelState.REJECTED)


STATES: tuple[str, ...] = tuple(ModelState)  # every state, the path first, then rejected

JUDGED_KINDS = ("performance", "fairness", "latency")  # objective kinds a validation judges (drift: Monitor)


def is_blocking_failure(*, blocking: bool, kind: str, status: str) -> bool:
    """The one rule of a failed validation: a blocking objective of a judged kind that did not pass."""
    return blocking and kind in JUDGED_KINDS and status != "pass"


@dataclass(frozen=True, kw_only=True)
class InputColumn:
    name: str
    dtype: str  # user-facing type: integer, float, string, boolean, datetime
    kind: str  # numeric or categorical (how the recipe treats it)
    categories: tuple[str, ...] = ()  # categories seen in training, for categorical columns
    nullable: bool = True  # may a serving row leave it empty (it had empty values in training, or the recipe fills them)


@dataclass(frozen=True, kw_only=True)
class ModelVersion:
    id: int
    project_id: int
    run_id: int
    version: int
    state: ModelState
    artifact_hash: str
    input_schema: tuple[InputColumn, ...]
    trained_by: str
    created_at: datetime
    created_by: str  # who registered it
    state_changed_at: datetime
    approved_by: str | None = None  # the reviewer whose approval production needs (four eyes)
    approved_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"v{self.version} (#{self.id}, {self.state})"

    @property
    def approved(self) -> bool:
        return self.approved_by is not None


@dataclass(frozen=True, kw_only=True)
class StoredValidation:
    id: int
    model_version_id: int
    objectives_version: int | None
    passed: bool
    report: dict[str, Any]  # ValidationReport.to_dict(); the Validate stage parses it whole
    created_at: datetime
    created_by: str

    @property
    def failing_blocking_objectives(self) -> tuple[str, ...]:
        """The blocking objectives this validation failed (``"roc_auc >= 0.85"``), read from the
        stored verdicts with the rule ``ValidationReport.blocking_failures`` uses."""
        return tuple(str(v["objective"]) for v in self.report.get("verdicts", ())
                     if is_blocking_failure(blocking=bool(v.get("blocking")), kind=str(v.get("kind", "")),
                                            status=str(v.get("status", ""))))


DEPLOYMENT_ROLES = ("production", "shadow", "challenger")  # challenger: the A/B tests of the Retrain stage


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """A model version serving a project's traffic (or shadowing it) from ``started_at`` until
    ``ended_at`` (None while it serves). The history of production deployments is what a
    rollback reads."""

    id: int
    project_id: int
    model_version_id: int
    role: str  # one of DEPLOYMENT_ROLES
    share: float  # share of traffic it answers, in [0, 1] (0 for a shadow)
    started_at: datetime
    started_by: str
    reason: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None


EVIDENCE_KINDS = ("explanation", "fairness", "mitigation")


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """A stored piece of review evidence for a model version (JSON ``payload``), keyed by what
    it was computed from (``cache_key``) so the same request is answered from the store."""

    id: int
    model_version_id: int
    kind: str  # one of EVIDENCE_KINDS
    cache_key: str
    summary: str  # one line for lists and the audit trail
    payload: dict[str, Any]
    created_at: datetime
    created_by: str


PROJECT_EVIDENCE_KINDS = ("feasibility",)


@dataclass(frozen=True, kw_only=True)
class ProjectEvidence:
    """Evidence about a project rather than a model version (stage 1's feasibility check)."""

    id: int
    project_id: int
    kind: str  # one of PROJECT_EVIDENCE_KINDS
    cache_key: str
    summary: str
    payload: dict[str, Any]
    created_at: datetime
    created_by: str
