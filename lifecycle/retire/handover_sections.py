"""The hand-over report's sections that other stages fill, each from a registry of providers.

Three sections come from elsewhere: **incidents and alerts** (stage 6, Monitor), **A/B decisions**
(stage 7, Retrain) and **sign-offs** (stage 8, Govern; until then the approvals and rejections on
record). Each section reads every provider registered for it; a provider takes the workspace and
the project and returns ``HandoverEntry`` items. Until a stage registers its own provider, the
section reads the audit trail for the actions that stage writes (``AUDIT_ACTIONS``), and says
"none on record" when there are none.

The hook: ``register(INCIDENTS, provider, replace=True)`` (or ``AB_DECISIONS``, ``SIGN_OFFS``) swaps
the audit fallback for a stage's own records in one line; since Monitor, Retrain and Govern come
before Retire in the stage order, the natural place for that line is the ``_PROVIDERS`` table below.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lifecycle.records import AuditEvent, Project
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

INCIDENTS, AB_DECISIONS, SIGN_OFFS = "incidents", "ab_decisions", "sign_offs"
TITLES = {INCIDENTS: "Incidents and alerts", AB_DECISIONS: "A/B decisions", SIGN_OFFS: "Sign-offs"}
NONE_ON_RECORD = "None on record."
# Audit actions (by prefix) each section reads until its stage registers a provider of its own.
AUDIT_ACTIONS: dict[str, tuple[str, ...]] = {
    INCIDENTS: ("alert.", "incident.", "monitor.alert"),
    AB_DECISIONS: ("abtest.", "ab_test.", "retrain.ab", "retrain.decision"),
    SIGN_OFFS: ("model.approved", "model.rejected", "signoff."),
}


@dataclass(frozen=True, kw_only=True)
class HandoverEntry:
    """One line of a section: when, what (one sentence), who, and where it comes from."""

    at: str  # ISO-8601 time, UTC
    what: str
    actor: str = ""
    source: str = ""  # e.g. "audit event #42"


Provider = Callable[[Workspace, Project], list[HandoverEntry]]


def project_events(workspace: Workspace, project: Project) -> list[AuditEvent]:
    """The project's events on the audit trail, oldest first: about the project, its model versions,
    or naming it in their details."""
    cursor = workspace.db.cursor()
    models = {f"model:{v.id}" for v in model_store.versions_for(cursor, project.id)}
    own = f"project:{project.id}"
    return [e for e in audit_log.events(cursor)
            if e.entity == own or e.entity in models or e.details.get("project_id") == project.id]


def _describe(event: AuditEvent) -> str:
    reason = event.details.get("reason") or event.details.get("comment") or event.details.get("summary") or ""
    subject = event.entity.replace(":", " #", 1)
    return f"{event.action} on {subject}" + (f": {reason}" if reason else "")


def audit_provider(section: str) -> Provider:
    """A provider that reads the section's ``AUDIT_ACTIONS`` off the project's audit trail."""
    prefixes = AUDIT_ACTIONS[section]

    def provide(workspace: Workspace, project: Project) -> list[HandoverEntry]:
        return [HandoverEntry(at=e.at, what=_describe(e), actor=e.actor, source=f"audit event #{e.seq}")
                for e in project_events(workspace, project) if e.action.startswith(prefixes)]

    provide.__doc__ = f"The {TITLES[section].lower()} on the audit trail ({', '.join(prefixes)})."
    return provide


_PROVIDERS: dict[str, list[Provider]] = {section: [audit_provider(section)] for section in TITLES}


def register(section: str, provider: Provider, *, replace: bool = False) -> None:
    """Add ``provider`` to ``section`` (``INCIDENTS``, ``AB_DECISIONS`` or ``SIGN_OFFS``); with
    ``replace`` it becomes the section's only provider (the audit fallback goes)."""
    if section not in TITLES:
        raise KeyError(f"No hand-over section {section!r}; the sections are {', '.join(TITLES)}.")
    _PROVIDERS[section] = [provider] if replace else [*_PROVIDERS[section], provider]


def providers(section: str) -> tuple[Provider, ...]:
    """The providers registered for ``section``, in order."""
    return tuple(_PROVIDERS[section])


def entries(workspace: Workspace, project: Project, section: str) -> list[HandoverEntry]:
    """Every provider's entries for ``section``, oldest first, each once."""
    found = {entry for provider in _PROVIDERS[section] for entry in provider(workspace, project)}
    return sorted(found, key=lambda e: (e.at, e.what))
