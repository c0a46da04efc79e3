"""Records of the Retire stage: retirements with their archives, retention rules, and the clean-ups
that deleted data (each deleted item with the SHA-256 of what it removed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CLEANUP_KINDS = ("prediction_segment", "feedback_segment", "dataset_version")


@dataclass(frozen=True, kw_only=True)
class Retirement:
    """A model version's end of life: why, what replaced it, and its archive bundle."""

    model_version_id: int
    project_id: int
    version: int  # the project's version number (v3)
    reason: str
    previous_state: str  # the state it was retired from
    replacement_id: int | None  # the version that took over (production traffic moved to it), if any
    no_replacement_confirmed: bool  # production retired with nothing to replace it, explicitly confirmed
    archive_path: str  # the bundle's folder, relative to the workspace's ``.files`` folder
    archive_sha256: str  # SHA-256 of the bundle's checksum manifest (CHECKSUMS.sha256)
    archive_files: int  # files the manifest lists
    archive_bytes: int  # their total size
    retired_at: datetime
    retired_by: str


@dataclass(frozen=True, kw_only=True)
class RetentionRule:
    """How long a project keeps its data. ``log_days`` None keeps the prediction log and feedback."""

    project_id: int
    log_days: int | None  # log and feedback segments whose newest row is older than this many days go
    datasets: bool  # dataset versions no longer used by anything live go
    updated_at: datetime | None = None  # None: the default rule, never saved
    updated_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class CleanupItem:
    """One thing a clean-up deletes (or, in a dry run, would delete)."""

    kind: str  # one of CLEANUP_KINDS
    name: str  # the segment's file name, or the dataset version's label
    dataset_id: int | None  # for a dataset version
    rows: int
    bytes: int  # bytes freed on disk (0 when another kept dataset version shares the file)
    sha256: str  # of the deleted bytes; in a dry run, a dataset's content hash or "" for a segment
    newest: datetime | None = None  # a segment's newest logged row (UTC)


@dataclass(frozen=True, kw_only=True)
class Cleanup:
    """A confirmed clean-up on record, with everything it deleted."""

    id: int
    project_id: int
    log_days: int | None
    cutoff: datetime | None  # segments whose newest row is older than this went
    datasets: bool
    digest: str  # SHA-256 of the canonical JSON of the items (the audit event names it)
    items: tuple[CleanupItem, ...]
    created_at: datetime
    created_by: str

    @property
    def rows(self) -> int:
        return sum(item.rows for item in self.items)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)
