"""The tamper-evident audit trail: reading it and verifying its hash chain."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.hashing import GENESIS, audit_event_hash
from lifecycle.records import AuditEvent
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class ChainVerdict:
    ok: bool
    events: int
    first_broken: int | None = None
    reason: str = ""


def verify_events(events: list[AuditEvent]) -> ChainVerdict:
    """Walk the chain oldest first; name the first event whose hash or link does not hold."""
    expected_prev = GENESIS
    for position, event in enumerate(events, start=1):
        if event.seq != position:
            return ChainVerdict(ok=False, events=len(events), first_broken=event.seq,
                                reason=f"event {event.seq} follows event {position - 1}: "
                                       "an event was deleted or renumbered")
        if event.prev_hash != expected_prev:
            return ChainVerdict(ok=False, events=len(events), first_broken=event.seq,
                                reason=f"event {event.seq} does not link to the hash of event "
                                       f"{event.seq - 1}: the earlier event was changed or removed")
        digest = audit_event_hash(seq=event.seq, at=event.at, actor=event.actor, action=event.action,
                                  entity=event.entity, details=event.details,
                                  prev_hash=event.prev_hash)
        if digest != event.hash:
            return ChainVerdict(ok=False, events=len(events), first_broken=event.seq,
                                reason=f"event {event.seq} ({event.action} by {event.actor}) "
                                       "was changed after it was written")
        expected_prev = event.hash
    return ChainVerdict(ok=True, events=len(events))


def verify_chain(workspace: Workspace) -> ChainVerdict:
    return verify_events(audit_log.events(workspace.db.cursor()))


def recent_events(workspace: Workspace, *, entity_prefix: str | None = None,
                  limit: int = 200) -> list[AuditEvent]:
    return audit_log.events(workspace.db.cursor(), entity_prefix=entity_prefix, limit=limit)
