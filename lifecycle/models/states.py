"""The model version state machine: every move goes through `transition`, which checks the gate
and writes the audit event in the same transaction as the state change.

    candidate → validated → approved → staging → production → retired
    rejected is a dead end, reachable from every state before production.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.records import ModelVersion
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

Gate = Callable[[Workspace, User, ModelVersion], None]


def _roles(*roles: str) -> Gate:
    def gate(_workspace: Workspace, actor: User, _version: ModelVersion) -> None:
        if actor.role not in roles:
            raise PermissionDenied(f"{actor.name} ({actor.role}) may not make this move.",
                                   f"It needs the role {' or '.join(roles)}.")
    return gate


def _validation_passed(workspace: Workspace, actor: User, version: ModelVersion) -> None:
    _roles("analyst", "admin")(workspace, actor, version)
    report = model_store.latest_validation(workspace.db.cursor(), version.id)
    if report is None:
        raise InputError(f"Model {version.label} has no validation report.", "Run Validate on it first.")
    if not report.passed:
        failing = [v["objective"] for v in report.report.get("verdicts", [])
                   if v.get("blocking") and v.get("status") != "pass" and v.get("kind") != "drift"]
        raise InputError(f"Model {version.label} fails blocking objective(s): {', '.join(failing) or 'see the report'}.",
                         "Improve the model (Develop) or revisit the objectives (Problem), then validate again.")


def four_eyes(workspace: Workspace, actor: User, version: ModelVersion) -> None:
    """Approval: a reviewer who neither trained nor registered this version."""
    if actor.role != "reviewer":
        raise PermissionDenied(f"{actor.name} ({actor.role}) may not approve models.",
                               "Only a reviewer who did not train this model can approve it.")
    if actor.name in (version.trained_by, version.created_by):
        raise PermissionDenied(f"{actor.name} trained or registered {version.label} and may not approve it.",
                               "Ask another reviewer: approval needs four eyes.")


_ANALYSTS = _roles("analyst", "admin")
_DECIDERS = _roles("analyst", "reviewer", "admin")

TRANSITIONS: dict[tuple[str, str], Gate] = {
    ("candidate", "validated"): _validation_passed,
    ("validated", "approved"): four_eyes,
    ("approved", "staging"): _ANALYSTS,
    ("staging", "production"): _ANALYSTS,
    ("production", "retired"): _ANALYSTS,
    ("staging", "retired"): _ANALYSTS,
    **{(state, "rejected"): _DECIDERS for state in ("candidate", "validated", "approved", "staging")},
}


@dataclass(frozen=True, kw_only=True)
class Move:
    to_state: str
    allowed: bool
    reason: str  # why it is blocked, or what it does


def transition(workspace: Workspace, actor: User, version_id: int, to_state: str, reason: str) -> ModelVersion:
    """Move a model version to ``to_state`` if its gate allows it; audit the move and its reason."""
    with workspace.db.transaction() as cursor:
        version = model_store.get_version(cursor, version_id)
        if version is None:
            raise NotFound(f"No model version with id {version_id}.", "List them on the Develop page or with `runs list`.")
        gate = TRANSITIONS.get((version.state, to_state))
        if gate is None:
            allowed = [to for (frm, to) in TRANSITIONS if frm == version.state]
            raise InputError(f"Model {version.label} cannot move from {version.state} to {to_state}.",
                             f"From {version.state} it can move to: {', '.join(allowed) or 'nowhere (final state)'}.")
        if not reason.strip():
            raise InputError("A state change needs a reason.", "Say why, in a sentence; it goes to the audit trail.")
        gate(workspace, actor, version)
        model_store.set_state(cursor, version.id, to_state)
        audit_log.append(cursor, actor=actor.name, action=f"model.{to_state}", entity=f"model:{version.id}",
                         details={"from": version.state, "to": to_state, "reason": reason.strip(),
                                  "project_id": version.project_id, "version": version.version})
        return model_store.get_version(cursor, version.id)


def possible_moves(workspace: Workspace, actor: User, version: ModelVersion) -> list[Move]:
    """Every move out of the version's state, each allowed or blocked with the reason (for disabled buttons)."""
    moves = []
    for (frm, to), gate in TRANSITIONS.items():
        if frm != version.state:
            continue
        try:
            gate(workspace, actor, version)
        except (InputError, PermissionDenied) as blocked:
            moves.append(Move(to_state=to, allowed=False, reason=str(blocked)))
        else:
            moves.append(Move(to_state=to, allowed=True, reason=f"Move to {to}."))
    return moves
