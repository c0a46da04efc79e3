"""Records of stage 8 (Govern): a reviewer's sign-off of a model version and their judgement of
each checklist item."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DECISIONS = ("approve", "conditional", "reject")  # "conditional": approved with conditions
APPROVING_DECISIONS = ("approve", "conditional")
JUDGEMENTS = ("accept", "condition", "reject")  # of one checklist item


@dataclass(frozen=True, kw_only=True)
class ItemJudgement:
    """A reviewer's word on one checklist item: ``accept`` (the evidence holds, or, for an
    attestation, the reviewer states it holds, in ``comment``), ``condition`` (accepted on the
    condition in ``comment``) or ``reject``. ``status`` is the item's evidence status when it was
    signed (present, missing or attestation), kept so the sign-off reads as it was made."""

    item: str
    judgement: str  # one of JUDGEMENTS
    comment: str = ""
    status: str = ""


@dataclass(frozen=True, kw_only=True)
class SignOff:
    """One reviewer's dated sign-off of a model version: the decision on the whole, a comment, the
    items judged one by one, the risk tier and checklist it was made against, and the audit event
    (``audit_seq``) that put it on the hash-chained trail."""

    id: int
    model_version_id: int
    project_id: int
    signer: str
    role: str  # the signer's role when signing
    decision: str  # one of DECISIONS
    comment: str
    items: tuple[ItemJudgement, ...]
    risk_tier: str
    checklist_hash: str  # SHA-256 of the checklist's statuses and evidence when signed
    audit_seq: int
    signed_at: datetime

    @property
    def approving(self) -> bool:
        return self.decision in APPROVING_DECISIONS

    @property
    def conditions(self) -> tuple[ItemJudgement, ...]:
        """The items accepted on a condition."""
        return tuple(j for j in self.items if j.judgement == "condition")
