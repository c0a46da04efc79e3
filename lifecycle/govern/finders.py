"""The registry of evidence finders behind the checklist: what a finder returns (``Found``, its
``EvidenceLink``s, one of ``STATUSES``), how one registers for an item (``finder``) and how the
answers of every finder of an item are merged (``find``). The finders themselves, one or more per
item, are in ``evidence_links``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lifecycle.govern.record import VersionRecord

PRESENT, MISSING, ATTESTATION = "present", "missing", "attestation"
STATUSES = (PRESENT, MISSING, ATTESTATION)


@dataclass(frozen=True, kw_only=True)
class EvidenceLink:
    """A piece of evidence on record: what it is (``label``), its kind and id (``ref``, e.g.
    ``validation:12``, ``evidence:4``, ``audit:57``) and the page that shows it."""

    label: str
    ref: str
    page: str | None = None


@dataclass(frozen=True, kw_only=True)
class Found:
    """What a finder found for an item: its status, one sentence, the links and, when missing, what to do."""

    status: str  # one of STATUSES
    summary: str
    links: tuple[EvidenceLink, ...] = ()
    todo: str = ""


Finder = Callable[[VersionRecord], Found]
FINDERS: dict[str, list[Finder]] = {}


def finder(item_id: str) -> Callable[[Finder], Finder]:
    """Register the decorated function as a source of evidence for checklist item ``item_id``."""
    def register(function: Finder) -> Finder:
        FINDERS.setdefault(item_id, []).append(function)
        return function
    return register


def find(item_id: str, record: VersionRecord) -> Found:
    """Every registered function's answer for ``item_id``, merged (see the module docstring)."""
    answers = [function(record) for function in FINDERS.get(item_id, ())]
    if not answers:
        return Found(status=MISSING, summary="No evidence source is registered for this item.",
                     todo="Add a finder for it in lifecycle/govern/evidence_links.py.")
    present = [a for a in answers if a.status == PRESENT]
    if present:
        return Found(status=PRESENT, summary=" ".join(a.summary for a in present),
                     links=tuple(link for a in present for link in a.links))
    attest = [a for a in answers if a.status == ATTESTATION]
    if attest:
        return Found(status=ATTESTATION, summary=" ".join(a.summary for a in attest),
                     links=tuple(link for a in attest for link in a.links), todo=attest[0].todo)
    return Found(status=MISSING, summary=answers[0].summary, links=tuple(link for a in answers for link in a.links),
                 todo=answers[0].todo)
