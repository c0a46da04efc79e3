"""When a model version is approved: the four-eyes rules of the sign-off (stage 8), which the
state machine's approve gate enforces.

- Only a role allowed ``Permission.SIGN_OFF`` (reviewers) signs; analysts, stakeholders and admins never do.
- A reviewer never signs a version they trained or registered.
- The project's risk tier (stage 1) says how many distinct reviewers must approve:
  ``REVIEWERS_NEEDED`` (two for a high-risk project).
- Approval is complete when that many reviewers approved (or approved with conditions) after
  the version's latest validation and nobody rejected it; a rejection rejects the version.

The sign-off itself (the checklist, the items, the record) is the Govern stage's
(:mod:`lifecycle.govern.signoff`); this module only counts what is on record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifecycle.auth import Permission, can, roles_with
from lifecycle.errors import PermissionDenied
from lifecycle.records import ModelVersion, SignOff, User

REVIEWERS_NEEDED = {"low": 1, "medium": 1, "high": 2}


def reviewers_needed(risk_tier: str) -> int:
    """How many distinct reviewers must approve a version of a project of this risk tier (an
    unknown tier counts as high)."""
    return REVIEWERS_NEEDED.get(risk_tier, max(REVIEWERS_NEEDED.values()))


def may_sign(actor: User, version: ModelVersion) -> None:
    """Raise PermissionDenied unless ``actor`` may sign ``version`` off: their role signs
    (``Permission.SIGN_OFF``) and they neither trained nor registered it (four eyes)."""
    if not can(actor, Permission.SIGN_OFF):
        raise PermissionDenied(f"{actor.name} ({actor.role}) may not {Permission.SIGN_OFF.value}.",
                               f"Only a {' or '.join(roles_with(Permission.SIGN_OFF))} who did not train or register "
                               "this model can sign it off.")
    if actor.name in (version.trained_by, version.created_by):
        raise PermissionDenied(f"{actor.name} trained or registered model {version.label} and may not sign it off.",
                               "Ask another reviewer: a sign-off needs four eyes.")


@dataclass(frozen=True, kw_only=True)
class Approval:
    """Where a version's sign-off stands: the approving sign-offs that count, how many are needed,
    and who rejected it."""

    needed: int
    approvals: tuple[SignOff, ...]  # approving sign-offs that count, one per reviewer, oldest first
    rejections: tuple[SignOff, ...]

    @property
    def signers(self) -> tuple[str, ...]:
        return tuple(s.signer for s in self.approvals)

    @property
    def complete(self) -> bool:
        return not self.rejections and len(self.approvals) >= self.needed

    @property
    def progress(self) -> str:
        """'1 of 2 reviewers approved (rey)' and the like."""
        if self.rejections:
            return "rejected by " + ", ".join(s.signer for s in self.rejections)
        names = f" ({', '.join(self.signers)})" if self.approvals else ""
        return f"{len(self.approvals)} of {self.needed} reviewer{'s' if self.needed > 1 else ''} approved{names}"


def approval_state(version: ModelVersion, signoffs: list[SignOff], *, risk_tier: str,
                   validated_at: datetime | None) -> Approval:
    """Count the sign-offs of ``version`` that stand: made after its latest validation
    (``validated_at``; a new validation asks for a new sign-off), by someone other than its
    trainer or registrant, one per reviewer."""
    standing = [s for s in signoffs if s.model_version_id == version.id
                and s.signer not in (version.trained_by, version.created_by)
                and (validated_at is None or s.signed_at >= validated_at)]
    approvals: dict[str, SignOff] = {}
    for signoff in standing:
        if signoff.approving:
            approvals.setdefault(signoff.signer, signoff)
    return Approval(needed=reviewers_needed(risk_tier), approvals=tuple(approvals.values()),
                    rejections=tuple(s for s in standing if not s.approving))
