"""Records on file: one frozen, keyword-only dataclass per stored entity.

The store turns rows into these; everything above the store speaks in them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TASKS = ("binary", "multiclass", "regression")
RISK_TIERS = ("low", "medium", "high")


@dataclass(frozen=True, kw_only=True)
class User:
    name: str
    role: str
    created_at: datetime
    active: bool = True
    last_sign_in: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Objective:
    metric: str
    comparator: str  # ">=" or "<="
    threshold: float
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.metric} {self.comparator} {self.threshold:g}"


@dataclass(frozen=True, kw_only=True)
class ObjectiveSet:
    project_id: int
    version: int
    objectives: tuple[Objective, ...]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, kw_only=True)
class Project:
    id: int
    name: str
    statement: str
    task: str
    target: str
    positive_class: str | None
    sensitive: tuple[str, ...]
    owner: str
    risk_tier: str
    intended_use: str
    out_of_scope: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    archived_at: datetime | None = None  # archived: hidden from the portfolio, kept on record, restorable


@dataclass(frozen=True, kw_only=True)
class ColumnSchema:
    name: str
    dtype: str  # DuckDB type name


@dataclass(frozen=True, kw_only=True)
class Lineage:
    kind: str  # "file", "bundled", "query", "derived", "retrain"
    name: str  # file name, bundled dataset name, or parent dataset name
    source_hash: str | None = None  # sha256 of the file bytes as uploaded
    query: str | None = None
    parent_id: int | None = None
    recipe_id: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DatasetVersion:
    id: int
    project_id: int
    name: str
    version: int
    rows: int
    columns: tuple[ColumnSchema, ...]
    content_hash: str
    lineage: Lineage
    auxiliary: bool
    created_at: datetime
    created_by: str
    deleted_at: datetime | None = None  # its rows deleted by a retention clean-up; the record and hash stay

    @property
    def table(self) -> str:
        """Name of the immutable table holding the rows (not user-controlled)."""
        return f"dataset_{self.id}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version} (#{self.id})"


@dataclass(frozen=True, kw_only=True)
class RecipeVersion:
    id: int
    project_id: int
    name: str
    version: int
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, kw_only=True)
class Split:
    id: int
    dataset_id: int
    method: str  # random, stratified, group, time
    seed: int
    test_size: float
    validation_size: float
    column: str | None
    counts: dict[str, int]
    assignment_hash: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    seq: int
    at: str  # ISO-8601 UTC, stored as text so the hash input is exact
    actor: str
    action: str
    entity: str
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str
    hash: str
