"""The model version state machine: every move goes through `transition`, which checks the gate
and writes the audit event in the same transaction as the state change.

    candidate → validated → approved → staging → production → retired
    rejected is a dead end, reachable from every state before production.

Who may make a move comes from the one permission registry in :mod:`lifecycle.auth`; a gate adds
what must hold beyond the role (a passing validation, four eyes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lifecycle.auth import Permission, can, roles_with
from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.records import ModelState, ModelVersion
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

Check = Callable[[Workspace, User, ModelVersion], None]


def _may_not_make_this_move(actor: User, permission: Permission) -> PermissionDenied:
    return PermissionDenied(f"{actor.name} ({actor.role}) may not make this move.",
                            f"It needs the role {' or '.join(roles_with(permission))}.")


@dataclass(frozen=True)
class Gate:
    """What a move needs: the registered action ``permission`` (its roles come from the registry),
    then ``check``, anything else that must hold. ``refusal`` words a refused role."""

    permission: Permission
    check: Check | None = None
    refusal: Callable[[User, Permission], PermissionDenied] = _may_not_make_this_move

    def __call__(self, workspace: Workspace, actor: User, version: ModelVersion) -> None:
        if not can(actor, self.permission):
            raise self.refusal(actor, self.permission)
        if self.check is not None:
            self.check(workspace, actor, version)


def _validation_passed(workspace: Workspace, _actor: User, version: ModelVersion) -> None:
    report = model_store.latest_validation(workspace.db.cursor(), version.id)
    if report is None:
        raise InputError(f"Model {version.label} has no validation report.", "Run Validate on it first.")
    if not report.passed:
        failing = report.failing_blocking_objectives
        raise InputError(f"Model {version.label} fails blocking objective(s): {', '.join(failing) or 'see the report'}.",
                         "Improve the model (Develop) or revisit the objectives (Problem), then validate again.")


def _may_not_approve(actor: User, permission: Permission) -> PermissionDenied:
    return PermissionDenied(f"{actor.name} ({actor.role}) may not {permission.value}.",
                            f"Only a {' or '.join(roles_with(permission))} who did not train this model can approve it.")


def four_eyes(_workspace: Workspace, actor: User, version: ModelVersion) -> None:
    """Approval needs four eyes: the approver neither trained nor registered this version.
    (Which roles may approve at all is ``Permission.APPROVE_MODEL`` in the registry.)"""
    if actor.name in (version.trained_by, version.created_by):
        raise PermissionDenied(f"{actor.name} trained or registered {version.label} and may not approve it.",
                               "Ask another reviewer: approval needs four eyes.")


_S = ModelState
_MOVE = Gate(Permission.MOVE_MODEL)
_REJECT = Gate(Permission.REJECT_MODEL)

TRANSITIONS: dict[tuple[ModelState, ModelState], Gate] = {
    (_S.CANDIDATE, _S.VALIDATED): Gate(Permission.VALIDATE_MODEL, _validation_passed),
    (_S.VALIDATED, _S.APPROVED): Gate(Permission.APPROVE_MODEL, four_eyes, refusal=_may_not_approve),
    (_S.APPROVED, _S.STAGING): _MOVE,
    (_S.STAGING, _S.PRODUCTION): _MOVE,
    (_S.PRODUCTION, _S.RETIRED): _MOVE,
    (_S.STAGING, _S.RETIRED): _MOVE,
    **{(state, _S.REJECTED): _REJECT for state in _S.path()[:_S.path().index(_S.PRODUCTION)]},
}


@dataclass(frozen=True, kw_only=True)
class Move:
    to_state: ModelState
    allowed: bool
    reason: str  # why it is blocked, or what it does


def transition(workspace: Workspace, actor: User, version_id: int, to_state: str, reason: str) -> ModelVersion:
    """Move a model version to ``to_state`` (a ``ModelState`` or its string) if its gate allows it;
    audit the move and its reason."""
    with workspace.db.transaction() as cursor:
        version = model_store.get_version(cursor, version_id)
        if version is None:
            raise NotFound(f"No model version with id {version_id}.", "List them on the Develop page or with `runs list`.")
        gate = TRANSITIONS.get((version.state, to_state))  # a StrEnum hashes as its string
        if gate is None:
            allowed = [to for (frm, to) in TRANSITIONS if frm == version.state]
            raise InputError(f"Model {version.label} cannot move from {version.state} to {to_state}.",
                             f"From {version.state} it can move to: {', '.join(allowed) or 'nowhere (final state)'}.")
        if not reason.strip():
            raise InputError("A state change needs a reason.", "Say why, in a sentence; it goes to the audit trail.")
        gate(workspace, actor, version)
        to_state = ModelState(to_state)
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
