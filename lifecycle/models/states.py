"""The model version state machine: every move goes through `transition`, which checks the gate
and writes the audit event in the same transaction as the state change.

    candidate → validated → approved → staging → production → retired
    rejected is a dead end, reachable from every state before production.

Promotion gates (the Deploy stage): ``staging`` needs a validated version; ``production`` needs
an approved one. Approval is the Govern stage's sign-off: the move to ``approved`` needs a complete
sign-off on record (as many distinct reviewers as the risk tier asks, none of whom trained or
registered the version: :mod:`lifecycle.models.approval`), and the sign-off that completes it makes
the move. A validated version can go to staging first and be approved there. A project has one
production version: promoting another moves the old one back to staging in the same transaction,
and ``rollback`` restores the previous production version. Each period in production is a deployment on record.

Who may make a move comes from the one permission registry in :mod:`lifecycle.auth`; a gate adds
what must hold beyond the role (a passing validation, four eyes).

``retired`` is terminal: no move leaves it. Any validated version can be retired, but only through
the Retire stage's decommission flow (``retire.decommission``), which moves traffic to a replacement,
archives the version with its evidence and records the retirement in the same transaction; it calls
``retire`` here. ``transition`` refuses a move to ``retired`` and names that flow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lifecycle.auth import Permission, can, roles_with
from lifecycle.errors import GateRefused, InputError, NotFound, PermissionDenied
from lifecycle.models.approval import approval_state
from lifecycle.records import ModelState, ModelVersion
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.store import projects as project_store
from lifecycle.store import signoffs as signoff_store
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
        raise GateRefused(f"Model {version.label} has no validation report.", "Run Validate on it first.")
    if not report.passed:
        failing = report.failing_blocking_objectives
        raise GateRefused(f"Model {version.label} fails blocking objective(s): {', '.join(failing) or 'see the report'}.",
                         "Improve the model (Develop) or revisit the objectives (Problem), then validate again.")


def _may_not_approve(actor: User, permission: Permission) -> PermissionDenied:
    return PermissionDenied(f"{actor.name} ({actor.role}) may not {permission.value}.",
                            f"Approval is a sign-off: only a {' or '.join(roles_with(permission))} who did not train "
                            "this model can sign it off (Govern).")


def four_eyes(_workspace: Workspace, actor: User, version: ModelVersion) -> None:
    """Approval needs four eyes: the approver neither trained nor registered this version.
    (Which roles may approve at all is ``Permission.APPROVE_MODEL`` in the registry.)"""
    if actor.name in (version.trained_by, version.created_by):
        raise PermissionDenied(f"{actor.name} trained or registered {version.label} and may not approve it.",
                               "Ask another reviewer: approval needs four eyes.")


def _signed_off(workspace: Workspace, actor: User, version: ModelVersion) -> None:
    """The approve gate: four eyes, not approved yet, and a complete sign-off on record that
    ``actor`` is part of (the sign-off that completes it makes this move)."""
    four_eyes(workspace, actor, version)
    if version.approved:
        raise GateRefused(f"Model {version.label} is already approved (by {version.approved_by}).",
                          "An analyst can promote it to production.")
    cursor = workspace.db.cursor()
    project = project_store.get(cursor, version.project_id)
    tier = project.risk_tier if project is not None else "high"  # a version without its project: the strictest
    report = model_store.latest_validation(cursor, version.id)
    approval = approval_state(version, signoff_store.for_version(cursor, version.id), risk_tier=tier,
                              validated_at=None if report is None else report.created_at)
    if not approval.complete:
        raise GateRefused(f"Model {version.label} is approved by a complete sign-off only: {approval.progress}, "
                          f"and a {tier}-risk project needs {approval.needed}.",
                          f"Reviewers sign it off on the Govern page (stage 8) or with the command: python -m "
                          f"lifecycle signoff {version.id} --decision approve --comment TEXT.")
    if actor.name not in approval.signers:
        raise PermissionDenied(f"{actor.name} has not signed off {version.label}.",
                               "The reviewer whose sign-off completes the approval makes the move.")


def _approved(_workspace: Workspace, _actor: User, version: ModelVersion) -> None:
    if not version.approved:
        raise GateRefused(f"Model {version.label} has not been approved; production needs a reviewer's approval.",
                         "Reviewers who did not train it sign it off first, on the Govern page "
                         "(or with the signoff command).")


_S = ModelState
_MOVE = Gate(Permission.MOVE_MODEL)
_REJECT = Gate(Permission.REJECT_MODEL)
_APPROVE = Gate(Permission.APPROVE_MODEL, _signed_off, refusal=_may_not_approve)
_TO_PRODUCTION = Gate(Permission.MOVE_MODEL, _approved)
_RETIRE = Gate(Permission.RETIRE_MODEL)

TRANSITIONS: dict[tuple[ModelState, ModelState], Gate] = {
    (_S.CANDIDATE, _S.VALIDATED): Gate(Permission.VALIDATE_MODEL, _validation_passed),
    (_S.VALIDATED, _S.APPROVED): _APPROVE,
    (_S.VALIDATED, _S.STAGING): _MOVE,  # staging needs a validated version
    (_S.APPROVED, _S.STAGING): _MOVE,
    (_S.STAGING, _S.APPROVED): _APPROVE,  # approved while in staging: it stays in staging
    (_S.APPROVED, _S.PRODUCTION): _TO_PRODUCTION,  # production needs an approved version
    (_S.STAGING, _S.PRODUCTION): _TO_PRODUCTION,
    (_S.PRODUCTION, _S.STAGING): _MOVE,
    # the end of life of a version that passed validation (a candidate that never did is rejected);
    # nothing leaves retired
    **{(state, _S.RETIRED): _RETIRE for state in (_S.VALIDATED, _S.APPROVED, _S.STAGING, _S.PRODUCTION)},
    **{(state, _S.REJECTED): _REJECT for state in _S.path()[:_S.path().index(_S.PRODUCTION)]},
}


@dataclass(frozen=True, kw_only=True)
class Move:
    to_state: ModelState
    allowed: bool
    reason: str  # why it is blocked, or what it does


def transition(workspace: Workspace, actor: User, version_id: int, to_state: str, reason: str) -> ModelVersion:
    """Move a model version to ``to_state`` (a ``ModelState`` or its string) if its gate allows it;
    audit the move and its reason. A move to ``retired`` is refused (InputError): it goes through the
    decommission flow, which archives the version first."""
    if to_state == ModelState.RETIRED:
        raise InputError(f"Model version #{version_id} is retired through the decommission flow, not by a move.",
                         "Retire it on the Retire page or with `retire VERSION_ID --reason TEXT`: it stops serving, "
                         "moves traffic to a replacement and archives the version with its evidence.")
    return _move(workspace, actor, version_id, to_state, reason)


def retire(workspace: Workspace, actor: User, version_id: int, reason: str) -> ModelVersion:
    """Move a version to ``retired`` (terminal) through its gate (``Permission.RETIRE_MODEL``), ending
    every deployment it has; audited. Only the decommission flow (``lifecycle.retire``) calls it, inside
    its own transaction with the archive and the retirement record. Raises what ``transition`` raises."""
    return _move(workspace, actor, version_id, ModelState.RETIRED, reason)


def _move(workspace: Workspace, actor: User, version_id: int, to_state: str, reason: str) -> ModelVersion:
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
        refuse_during_split(cursor, version, ModelState(to_state))
        _apply(cursor, actor, version, ModelState(to_state), reason.strip())
        return model_store.get_version(cursor, version.id)


def refuse_during_split(cursor, version: ModelVersion, to_state: ModelState) -> None:
    """While an A/B test splits a project's traffic (an active ``challenger`` deployment), refuse a move
    that would change who answers: anything into or out of production, and retiring or rejecting the
    challenger. The test is concluded or rolled back first (the Retrain stage), which ends the split."""
    split = [d for d in deployment_store.active(cursor, version.project_id) if d.role == "challenger"]
    if not split:
        return
    challenger = any(d.model_version_id == version.id for d in split)
    if (to_state == ModelState.PRODUCTION or version.state == ModelState.PRODUCTION
            or (challenger and to_state in (ModelState.RETIRED, ModelState.REJECTED))):
        raise InputError(f"An A/B test splits this project's traffic, so model {version.label} cannot move to "
                         f"{to_state} now.", "Conclude or roll back the A/B test first (Retrain page, or "
                         "`abtest conclude|rollback --project NAME`).")


def _apply(cursor, actor: User, version: ModelVersion, to_state: ModelState, reason: str) -> None:
    """The move and what goes with it, inside the caller's transaction: the approval on record,
    the one production version per project, and the deployments that start or end."""
    if to_state == ModelState.PRODUCTION:
        for current in deployment_store.active(cursor, version.project_id):
            if current.role == "production" and current.model_version_id != version.id:
                replaced = model_store.get_version(cursor, current.model_version_id)
                deployment_store.end(cursor, current.id, ended_by=actor.name,
                                     reason=f"replaced by v{version.version} in production")
                if replaced is not None and replaced.state == ModelState.PRODUCTION:
                    _record_move(cursor, actor, replaced, ModelState.STAGING,
                                 f"replaced by v{version.version} in production ({reason})")
    if version.state == ModelState.PRODUCTION or to_state in (ModelState.RETIRED, ModelState.REJECTED):
        for current in deployment_store.for_version(cursor, version.id):
            if current.active and (current.role == "production" or to_state != ModelState.STAGING):
                deployment_store.end(cursor, current.id, ended_by=actor.name, reason=f"moved to {to_state}: {reason}")
    if to_state == ModelState.APPROVED:
        model_store.set_approved(cursor, version.id, actor.name)
        if version.state == ModelState.STAGING:  # approved in staging: the approval is recorded, it stays staged
            audit_log.append(cursor, actor=actor.name, action="model.approved", entity=f"model:{version.id}",
                             details={"from": version.state, "to": version.state, "reason": reason,
                                      "project_id": version.project_id, "version": version.version,
                                      "approved_in_staging": True})
            return
    _record_move(cursor, actor, version, to_state, reason)
    if to_state == ModelState.PRODUCTION:
        deployment_store.start(cursor, project_id=version.project_id, model_version_id=version.id,
                               role="production", share=1.0, started_by=actor.name, reason=reason)


def _record_move(cursor, actor: User, version: ModelVersion, to_state: ModelState, reason: str) -> None:
    model_store.set_state(cursor, version.id, to_state)
    audit_log.append(cursor, actor=actor.name, action=f"model.{to_state}", entity=f"model:{version.id}",
                     details={"from": version.state, "to": to_state, "reason": reason,
                              "project_id": version.project_id, "version": version.version})


def previous_production(workspace: Workspace, project_id: int) -> ModelVersion | None:
    """The version that was in production before the current one (what a rollback restores):
    the newest ended production deployment of another version that is still in staging."""
    cursor = workspace.db.cursor()
    history = deployment_store.history(cursor, project_id, role="production")
    current = next((d.model_version_id for d in history if d.active), None)
    for past in history:
        if not past.active and past.model_version_id != current:
            version = model_store.get_version(cursor, past.model_version_id)
            return version if version is not None and version.state == ModelState.STAGING else None
    return None


def rollback(workspace: Workspace, actor: User, project_id: int, reason: str) -> ModelVersion:
    """Restore the previous production version (``previous_production``) in one transaction: it
    goes back to production and the current one to staging, both on the audit trail with the
    reason. Raises InputError when there is nothing to roll back to or no reason, and what the
    production gate raises (the role, the approval)."""
    if not reason.strip():
        raise InputError("A rollback needs a reason.", "Say why, in a sentence; it goes to the audit trail.")
    target = previous_production(workspace, project_id)
    if target is None:
        raise InputError("There is no earlier production version to roll back to (it must still be in staging).",
                         "Promote a staging version to production instead.")
    with workspace.db.transaction() as cursor:
        version = model_store.get_version(cursor, target.id)
        TRANSITIONS[(version.state, ModelState.PRODUCTION)](workspace, actor, version)
        refuse_during_split(cursor, version, ModelState.PRODUCTION)
        _apply(cursor, actor, version, ModelState.PRODUCTION, f"rollback: {reason.strip()}")
        audit_log.append(cursor, actor=actor.name, action="deployment.rollback", entity=f"project:{project_id}",
                         details={"restored": version.id, "version": version.version, "reason": reason.strip()})
        return model_store.get_version(cursor, version.id)


def possible_moves(workspace: Workspace, actor: User, version: ModelVersion) -> list[Move]:
    """Every move out of the version's state, each allowed or blocked with the reason (for disabled buttons).
    Retirement is not among them: it is the Retire stage's decommission flow."""
    moves = []
    for (frm, to), gate in TRANSITIONS.items():
        if frm != version.state or to == ModelState.RETIRED:
            continue
        try:
            gate(workspace, actor, version)
            refuse_during_split(workspace.db.cursor(), version, to)
        except (InputError, PermissionDenied) as blocked:
            moves.append(Move(to_state=to, allowed=False, reason=str(blocked)))
        else:
            moves.append(Move(to_state=to, allowed=True, reason=f"Move to {to}."))
    return moves
