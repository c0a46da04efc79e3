"""Records of the model registry: model versions and their validation reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATES = ("candidate", "validated", "approved", "staging", "production", "retired", "rejected")


@dataclass(frozen=True, kw_only=True)
class InputColumn:
    name: str
    dtype: str  # user-facing type: integer, float, string, boolean, datetime
    kind: str  # numeric or categorical (how the recipe treats it)
    categories: tuple[str, ...] = ()  # categories seen in training, for categorical columns


@dataclass(frozen=True, kw_only=True)
class ModelVersion:
    id: int
    project_id: int
    run_id: int
    version: int
    state: str
    artifact_hash: str
    input_schema: tuple[InputColumn, ...]
    trained_by: str
    created_at: datetime
    created_by: str  # who registered it
    state_changed_at: datetime

    @property
    def label(self) -> str:
        return f"v{self.version} (#{self.id}, {self.state})"


@dataclass(frozen=True, kw_only=True)
class StoredValidation:
    id: int
    model_version_id: int
    objectives_version: int | None
    passed: bool
    report: dict[str, Any]
    created_at: datetime
    created_by: str


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
