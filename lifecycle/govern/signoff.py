"""A reviewer's sign-off of a model version: approve, approve with conditions, or reject, item by
item and as a whole, with a comment; dated, named and on the hash-chained audit trail.

The rules, enforced here and in the state machine's approve gate (:mod:`lifecycle.models.approval`):

- only a reviewer signs (``Permission.SIGN_OFF``), never one who trained or registered the version,
  and each reviewer signs a version once;
- the project's risk tier decides how many distinct reviewers must approve (two for high risk);
  the sign-off that completes the count moves the version to ``approved``, in the same
  transaction; a rejection moves it to ``rejected``;
- an approval (plain or conditional) is refused while a blocking item has no evidence, naming
  each with what produces it, and until the signer attests every blocking attestation item with a
  comment: a condition never stands in for a blocking item;
- conditions go on non-blocking items only (``condition`` with the condition as comment), and a
  conditional approval names at least one; a plain approval names none;
- an item is accepted only with evidence present, or, for an attestation, with the signer's
  statement; a rejected item cannot sit in an approval.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from lifecycle.deploy import promotion
from lifecycle.errors import GateRefused, InputError, PermissionDenied
from lifecycle.govern.checklist import BY_ID, ITEM_IDS, Checklist, build
from lifecycle.govern.evidence_links import ATTESTATION, MISSING
from lifecycle.govern.record import load_record
from lifecycle.models import states
from lifecycle.models.approval import Approval, approval_state, may_sign
from lifecycle.records import (APPROVING_DECISIONS, DECISIONS, JUDGEMENTS, ItemJudgement, ModelState, ModelVersion,
                               SignOff, User)
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.store import signoffs as signoff_store
from lifecycle.workspace import Workspace

SIGNABLE = (ModelState.VALIDATED, ModelState.STAGING)  # staging: only while not yet approved


@dataclass(frozen=True, kw_only=True)
class ItemInput:
    """What a reviewer says about one item: a judgement (accept, condition, reject) and a comment."""

    judgement: str
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class SignOffOutcome:
    """A recorded sign-off, the version after it (moved or not) and where its approval stands."""

    signoff: SignOff
    version: ModelVersion
    approval: Approval
    moved_to: str | None  # "approved", "rejected", or None when more reviewers must sign

    @property
    def message(self) -> str:
        if self.moved_to == ModelState.APPROVED:
            return f"Model {self.version.label} is approved: {self.approval.progress}."
        if self.moved_to == ModelState.REJECTED:
            return f"Model {self.version.label} is rejected."
        return (f"Sign-off recorded: {self.approval.progress}; another reviewer who did not build it must sign before "
                "it is approved.")


def parse_item(text: str) -> tuple[str, ItemInput]:
    """``ID=JUDGEMENT`` or ``ID=JUDGEMENT:COMMENT`` (the CLI's ``--item``) as (item id, input).
    Raises InputError naming the expected form."""
    item, sep, rest = text.partition("=")
    judgement, _, comment = rest.partition(":")
    if not sep or not item.strip() or not judgement.strip():
        raise InputError(f"--item {text!r} is not ID=JUDGEMENT[:COMMENT].",
                         f"For example --item privacy_security=accept:'DPIA reviewed'; judgements: {', '.join(JUDGEMENTS)}.")
    return item.strip(), ItemInput(judgement=judgement.strip(), comment=comment.strip())


def _signable(version: ModelVersion) -> None:
    if version.approved and not version.state.is_closed:
        raise InputError(f"Model {version.label} is already approved (by {version.approved_by}).",
                         "Nothing to sign: an analyst can promote it.")
    if version.state not in SIGNABLE:
        hint = ("Validate it first (Validate)." if version.state == ModelState.CANDIDATE else
                "Only a validated version, or a staged one not yet approved, is signed off.")
        raise InputError(f"Model {version.label} cannot be signed off: it is {version.state}.", hint)


def why_not(workspace: Workspace, actor: User, version: ModelVersion) -> str | None:
    """Why ``actor`` may not sign ``version`` now (for a disabled form), or None."""
    try:
        may_sign(actor, version)
        _signable(version)
    except (PermissionDenied, InputError) as refused:
        return str(refused)
    if any(s.signer == actor.name for s in signoff_store.for_version(workspace.db.cursor(), version.id)):
        return f"{actor.name} has already signed model {version.label} off; each reviewer signs once."
    return None


def judge(checklist: Checklist, decision: str, items: Mapping[str, ItemInput]) -> tuple[ItemJudgement, ...]:
    """Check ``decision`` and the items against the checklist (the rules in the module docstring)
    and return the judgements to record. Raises InputError for malformed or contradictory input,
    GateRefused when an approval lacks blocking evidence or a blocking attestation."""
    if decision not in DECISIONS:
        raise InputError(f"Decision {decision!r} is not one of {', '.join(DECISIONS)}.",
                         "approve, conditional (approve with conditions) or reject.")
    unknown = sorted(set(items) - set(ITEM_IDS))
    if unknown:
        raise InputError(f"Unknown checklist item(s): {', '.join(unknown)}.", f"Items are: {', '.join(ITEM_IDS)}.")
    judgements = []
    for item_id, given in items.items():
        entry, title = checklist.item(item_id), BY_ID[item_id].title
        if given.judgement not in JUDGEMENTS:
            raise InputError(f"Item {item_id}: judgement {given.judgement!r} is not one of {', '.join(JUDGEMENTS)}.",
                             "accept, condition (accepted on a condition) or reject.")
        if given.judgement != "accept" and not given.comment:
            raise InputError(f"Item {item_id} ({title}) is judged {given.judgement} without a comment.",
                             "Say the condition, or why it is rejected.")
        if given.judgement == "accept" and entry.status == MISSING:
            raise InputError(f"Item {item_id} ({title}) has no evidence to accept: {entry.found.summary}",
                             f"{entry.found.todo} Or put a condition on it, if it does not block.")
        if given.judgement == "accept" and entry.status == ATTESTATION and not given.comment:
            raise InputError(f"Item {item_id} ({title}) is a reviewer's statement: accepting it needs a comment.",
                             "Say what you attest, e.g. --item " f"{item_id}=accept:'...'.")
        if given.judgement == "condition" and entry.blocking:
            raise InputError(f"Item {item_id} ({title}) blocks at the {checklist.risk_tier} risk tier; a condition "
                             "cannot stand in for it.", "Accept it (the evidence holds) or reject it.")
        judgements.append(ItemJudgement(item=item_id, judgement=given.judgement, comment=given.comment,
                                        status=entry.status))
    if decision in APPROVING_DECISIONS:
        _check_approval(checklist, decision, {j.item: j for j in judgements})
    return tuple(sorted(judgements, key=lambda j: ITEM_IDS.index(j.item)))


def _check_approval(checklist: Checklist, decision: str, judged: dict[str, ItemJudgement]) -> None:
    missing = checklist.blocking_missing
    if missing:
        raise GateRefused("An approval needs every blocking item's evidence; missing: " + "; ".join(
            f"{i.item.title} ({i.item.id}): {i.found.todo}" for i in missing),
            "Produce the evidence, then sign off; or reject the version.")
    unattested = [i for i in checklist.blocking_attestations
                  if i.item.id not in judged or judged[i.item.id].judgement != "accept"]
    if unattested:
        raise GateRefused("An approval needs your statement on every blocking attestation: " + ", ".join(
            f"{i.item.title} ({i.item.id})" for i in unattested) + ".",
            "Accept each with a comment saying what you attest (--item ID=accept:TEXT).")
    rejected = [item for item, j in judged.items() if j.judgement == "reject"]
    if rejected:
        raise InputError(f"Item(s) {', '.join(rejected)} are rejected, which an approval cannot hold.",
                         "Reject the version, or judge those items again.")
    conditions = [item for item, j in judged.items() if j.judgement == "condition"]
    if decision == "approve" and conditions:
        raise InputError(f"Item(s) {', '.join(conditions)} carry conditions.",
                         "Sign with the decision conditional (approve with conditions).")
    if decision == "conditional" and not conditions:
        raise InputError("A conditional approval names its conditions.",
                         "Put a condition on at least one non-blocking item (judgement condition, the condition as "
                         "comment), or approve.")


def sign_off(workspace: Workspace, actor: User, version_id: int, *, decision: str, comment: str,
             items: Mapping[str, ItemInput] | None = None) -> SignOffOutcome:
    """Record ``actor``'s sign-off of model version ``version_id`` and, when it completes the
    approval (or rejects), move the version in the same transaction; the deployment manifest
    follows. Raises PermissionDenied (not a reviewer, their own model), InputError (bad input, a
    version that cannot be signed, signed twice) or GateRefused (blocking evidence or statements
    missing); nothing is written then."""
    if not comment.strip():
        raise InputError("A sign-off needs a comment.", "Say what you reviewed and why you decide so; it goes on "
                                                         "the audit trail and the model card.")
    record = load_record(workspace, version_id)
    may_sign(actor, record.version)
    _signable(record.version)
    checklist = build(record)
    judgements = judge(checklist, decision, items or {})
    with workspace.db.transaction() as cursor:
        version = model_store.get_version(cursor, version_id)  # as it is now, inside the transaction
        _signable(version)
        earlier = signoff_store.for_version(cursor, version_id)
        if any(s.signer == actor.name for s in earlier):
            raise InputError(f"{actor.name} has already signed model {version.label} off.",
                             "Each reviewer signs a version once; another reviewer may sign it.")
        event = audit_log.append(cursor, actor=actor.name, action="govern.signoff", entity=f"model:{version.id}",
                                 details={"project_id": version.project_id, "version": version.version,
                                          "decision": decision, "comment": comment.strip(),
                                          "items": {j.item: [j.judgement, j.comment] for j in judgements},
                                          "risk_tier": checklist.risk_tier, "checklist": checklist.digest,
                                          "counts": checklist.counts()})
        signed = signoff_store.insert(cursor, model_version_id=version.id, project_id=version.project_id,
                                      signer=actor.name, role=actor.role, decision=decision, comment=comment.strip(),
                                      items=judgements, risk_tier=checklist.risk_tier,
                                      checklist_hash=checklist.digest, audit_seq=event.seq)
        validated_at = None if record.validation is None else record.validation.created_at
        approval = approval_state(version, signoff_store.for_version(cursor, version.id),
                                  risk_tier=checklist.risk_tier, validated_at=validated_at)
        moved_to = None
        if decision == "reject":
            version = states.transition(workspace, actor, version.id, ModelState.REJECTED,
                                        f"rejected at sign-off by {actor.name}: {comment.strip()}")
            moved_to = ModelState.REJECTED
        elif approval.complete:
            version = states.transition(workspace, actor, version.id, ModelState.APPROVED,
                                        f"signed off by {', '.join(approval.signers)}: {comment.strip()}")
            moved_to = ModelState.APPROVED
    if moved_to is not None:
        promotion.sync_manifest(workspace, version.project_id, actor.name)
    return SignOffOutcome(signoff=signed, version=version, approval=approval, moved_to=moved_to)


def approval(workspace: Workspace, version_id: int) -> Approval:
    """Where the sign-off of a version stands (how many reviewers approved, how many are needed)."""
    return load_record(workspace, version_id).approval()


def signoffs(workspace: Workspace, version_id: int) -> list[SignOff]:
    """The sign-offs of a version, oldest first."""
    return signoff_store.for_version(workspace.db.cursor(), version_id)
