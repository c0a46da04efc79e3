"""Review evidence of a model version: what the explanation, fairness and mitigation panels
computed, stored once in the workspace and read back by anyone (the Govern stage links to it).

Computing evidence changes no model, so anyone who may read the project may compute it; each
new piece gets an audit event in the same transaction. A request already answered (same
version, kind and cache key) is returned from the store instead of being computed again.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from lifecycle.auth import Permission, require
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_text
from lifecycle.records import EVIDENCE_KINDS, PROJECT_EVIDENCE_KINDS, Evidence, ProjectEvidence
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import evidence as evidence_store
from lifecycle.workspace import Workspace


def cache_key(**parts: Any) -> str:
    """A stable key for what a piece of evidence was computed from (hashes, sample, seed...)."""
    # json.dumps' default spacing, not canonical_json: keys already stored must stay the same.
    return sha256_text(json.dumps(parts, sort_keys=True, default=str))[:32]


def _check_kind(kind: str) -> None:
    if kind not in EVIDENCE_KINDS:
        raise InputError(f"Unknown evidence kind {kind!r}.", f"Use one of: {', '.join(EVIDENCE_KINDS)}.")


def cached(workspace: Workspace, version_id: int, kind: str, key: str) -> Evidence | None:
    _check_kind(kind)
    return evidence_store.find_evidence(workspace.db.cursor(), version_id, kind, key)


def latest(workspace: Workspace, version_id: int, kind: str) -> Evidence | None:
    _check_kind(kind)
    return evidence_store.latest_evidence(workspace.db.cursor(), version_id, kind)


def for_version(workspace: Workspace, version_id: int) -> list[Evidence]:
    return evidence_store.evidence_for(workspace.db.cursor(), version_id)


def record(workspace: Workspace, actor: User, version_id: int, kind: str, key: str, *, summary: str,
           payload: dict[str, Any]) -> Evidence:
    """Store a piece of evidence and its audit event in one transaction; a second request with
    the same key (another session got there first) returns the stored one."""
    require(actor, Permission.READ)
    _check_kind(kind)
    with workspace.db.transaction() as cursor:
        existing = evidence_store.find_evidence(cursor, version_id, kind, key)
        if existing is not None:
            return existing
        stored = evidence_store.insert_evidence(cursor, model_version_id=version_id, kind=kind, cache_key=key,
                                                summary=summary, payload=payload, created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action=f"evidence.{kind}", entity=f"model:{version_id}",
                         details={"evidence_id": stored.id, "summary": summary})
    return stored


def get_or_compute(workspace: Workspace, actor: User, version_id: int, kind: str, key: str,
                   compute: Callable[[], tuple[str, dict[str, Any]]]) -> tuple[Evidence, bool]:
    """The stored evidence for ``key``, or compute ``(summary, payload)`` and store it.
    Returns the evidence and whether it came from the store."""
    found = cached(workspace, version_id, kind, key)
    if found is not None:
        return found, True
    require(actor, Permission.READ)
    summary, payload = compute()
    return record(workspace, actor, version_id, kind, key, summary=summary, payload=payload), False


def _check_project_kind(kind: str) -> None:
    if kind not in PROJECT_EVIDENCE_KINDS:
        raise InputError(f"Unknown project evidence kind {kind!r}.", f"Use one of: {', '.join(PROJECT_EVIDENCE_KINDS)}.")


def latest_for_project(workspace: Workspace, project_id: int, kind: str) -> ProjectEvidence | None:
    """The newest evidence of ``kind`` about a project (not a model version), or None."""
    _check_project_kind(kind)
    return evidence_store.latest_project_evidence(workspace.db.cursor(), project_id, kind)


def get_or_compute_for_project(workspace: Workspace, actor: User, project_id: int, kind: str, key: str,
                               compute: Callable[[], tuple[str, dict[str, Any]]]) -> tuple[ProjectEvidence, bool]:
    """Like ``get_or_compute``, for evidence about a project: the stored piece for ``key``, or
    compute ``(summary, payload)`` and store it with its audit event in one transaction.
    Returns the evidence and whether it came from the store."""
    require(actor, Permission.READ)
    _check_project_kind(kind)
    found = evidence_store.find_project_evidence(workspace.db.cursor(), project_id, kind, key)
    if found is not None:
        return found, True
    summary, payload = compute()
    with workspace.db.transaction() as cursor:
        existing = evidence_store.find_project_evidence(cursor, project_id, kind, key)
        if existing is not None:  # another session got there first
            return existing, True
        stored = evidence_store.insert_project_evidence(cursor, project_id=project_id, kind=kind, cache_key=key,
                                                        summary=summary, payload=payload, created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action=f"evidence.{kind}", entity=f"project:{project_id}",
                         details={"evidence_id": stored.id, "summary": summary})
    return stored, False
