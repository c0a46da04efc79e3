"""The hand-over report's sections that other stages fill, each from a registry of providers.

Three sections come from elsewhere: **incidents and alerts** (stage 6, Monitor: its alerts, each
raised, acknowledged and resolved), **A/B decisions** (stage 7, Retrain: each test started and how it
ended) and **sign-offs** (stage 8, Govern; until it registers a provider, the approvals and rejections
on the audit trail). Each section reads every provider registered for it; a provider takes the
workspace and the project and returns ``HandoverEntry`` items; a section with none says "None on
record."

The hook: ``register(SIGN_OFFS, provider, replace=True)`` (or ``INCIDENTS``, ``AB_DECISIONS``) swaps a
section's providers in one line; since Monitor, Retrain and Govern come before Retire in the stage
order, the natural place for that line is the ``_PROVIDERS`` table below. ``audit_provider(section)``
reads the section's ``AUDIT_ACTIONS`` off the trail, for a stage without records of its own.
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


def _version_names(workspace: Workspace, project: Project) -> dict[int, str]:
    return {v.id: f"v{v.version}" for v in model_store.versions_for(workspace.db.cursor(), project.id)}


def monitor_alerts(workspace: Workspace, project: Project) -> list[HandoverEntry]:
    """The Monitor stage's alerts of the project: each raised, acknowledged and resolved, with the
    title and the comments."""
    from lifecycle.monitor.alerts import alerts_for

    names = _version_names(workspace, project)
    found = []
    for alert in alerts_for(workspace, project.id):
        what = f"{alert.kind} alert #{alert.id}" + (f" on {names.get(alert.model_version_id, '?')}"
                                                    if alert.model_version_id else "")
        found.append(HandoverEntry(at=alert.opened_at.isoformat(), what=f"{what} raised: {alert.title}",
                                   actor=alert.opened_by, source=f"alert #{alert.id}"))
        for state, at, by, comment in (("acknowledged", alert.acknowledged_at, alert.acknowledged_by,
                                        alert.acknowledged_comment),
                                       ("resolved", alert.resolved_at, alert.resolved_by, alert.resolved_comment)):
            if at is not None:
                found.append(HandoverEntry(at=at.isoformat(), what=f"{what} {state}: {comment or '—'}",
                                           actor=by or "", source=f"alert #{alert.id}"))
    return found


def ab_tests(workspace: Workspace, project: Project) -> list[HandoverEntry]:
    """The Retrain stage's A/B tests of the project: each started (champion, challenger, share) and how
    it ended (promoted, kept or rolled back, with the reason)."""
    from lifecycle.store import abtests as abtest_store

    names = _version_names(workspace, project)
    found = []
    for test in abtest_store.for_project(workspace.db.cursor(), project.id):
        pair = (f"A/B test #{test.id}: challenger {names.get(test.challenger_id, '?')} against champion "
                f"{names.get(test.champion_id, '?')}")
        found.append(HandoverEntry(at=test.started_at.isoformat(), what=f"{pair} started on {test.share:.0%} of "
                                   f"traffic: {test.reason}", actor=test.started_by, source=f"A/B test #{test.id}"))
        if test.ended_at is not None:
            found.append(HandoverEntry(at=test.ended_at.isoformat(),
                                       what=f"{pair} ended, {test.decision or test.status}: {test.end_reason or '—'}",
                                       actor=test.ended_by or "", source=f"A/B test #{test.id}"))
    return found


def govern_signoffs(workspace: Workspace, project: Project) -> list[HandoverEntry]:
    """The Govern stage's sign-offs of the project's versions: who decided what on which version,
    with the comment and the conditions."""
    from lifecycle.govern.signoff import signoffs

    found = []
    for version_id, name in _version_names(workspace, project).items():
        for signed in signoffs(workspace, version_id):
            conditions = "; ".join(f"{j.item}: {j.comment}" for j in signed.conditions)
            found.append(HandoverEntry(at=signed.signed_at.isoformat(),
                                       what=f"{name} signed off, {signed.decision}: {signed.comment}"
                                            + (f" (conditions: {conditions})" if conditions else ""),
                                       actor=signed.signer, source=f"audit event #{signed.audit_seq}"))
    return found


_PROVIDERS: dict[str, list[Provider]] = {INCIDENTS: [monitor_alerts], AB_DECISIONS: [ab_tests],
                                         SIGN_OFFS: [govern_signoffs]}


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
