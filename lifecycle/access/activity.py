"""Recent activity in words, each with the project it belongs to: "ana validated model v1 of Income over 50K".

The audit trail records an action and an entity (``model:1``); this module finds the project each
entity belongs to and says what happened in a sentence a stakeholder reads without a glossary.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from lifecycle.records import AuditEvent
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import models as model_store
from lifecycle.store import preparation as preparation_store
from lifecycle.store import abtests as abtest_store
from lifecycle.store import projects as project_store
from lifecycle.store import retrains as retrain_store
from lifecycle.store import runs as run_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class Activity:
    at: datetime
    actor: str
    sentence: str  # the whole sentence, actor first
    project: str | None  # the project's name, or None for workspace-wide events (users)


def _model(cursor, entity_id: int) -> tuple[int | None, str]:
    version = model_store.get_version(cursor, entity_id)
    return (version.project_id, f"model v{version.version}") if version else (None, f"model #{entity_id}")


def _project_of(cursor, kind: str, entity_id: int) -> tuple[int | None, str]:
    """The project an entity belongs to, and a short name for the entity ('model v1', 'dataset adult v2')."""
    if kind == "project":
        return entity_id, ""
    if kind == "model":
        return _model(cursor, entity_id)
    if kind == "dataset":
        dataset = dataset_store.get(cursor, entity_id)
        return (dataset.project_id, f"{dataset.name} v{dataset.version}") if dataset else (None, f"dataset #{entity_id}")
    if kind == "split":
        split = preparation_store.get_split(cursor, entity_id)
        dataset = dataset_store.get(cursor, split.dataset_id) if split else None
        return (dataset.project_id, f"{dataset.name} v{dataset.version}") if dataset else (None, f"split #{entity_id}")
    if kind == "search":
        search = run_store.get_search(cursor, entity_id)
        return (search.project_id, f"a {search.algorithm} search") if search else (None, f"search #{entity_id}")
    if kind == "recipe":
        recipe = preparation_store.get_recipe(cursor, entity_id)
        return (recipe.project_id, f"recipe {recipe.name} v{recipe.version}") if recipe else (None, "a recipe")
    if kind == "run":
        run = run_store.get_run(cursor, entity_id)
        return (run.project_id, f"run #{entity_id}") if run else (None, f"run #{entity_id}")
    if kind == "abtest":
        test = abtest_store.get(cursor, entity_id)
        return (test.project_id, f"A/B test #{entity_id}") if test else (None, f"A/B test #{entity_id}")
    if kind == "retrain":
        retrain = retrain_store.get_retrain(cursor, entity_id)
        return (retrain.project_id, f"retrain #{entity_id}") if retrain else (None, f"retrain #{entity_id}")
    if kind == "retrain_policy":
        policy = retrain_store.get_policy(cursor, entity_id)
        return (policy.project_id, f"retraining policy {policy.name}") if policy else (None, "a retraining policy")
    return None, ""


# What each action did, given the entity's short name and the event's details. "{what}" is the entity.
_VERBS: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "project.created": lambda what, d: "created the project",
    "project.updated": lambda what, d: "changed the framing",
    "project.archived": lambda what, d: "archived the project",
    "project.restored": lambda what, d: "restored the project",
    "objectives.set": lambda what, d: f"set objectives version {d.get('version', '?')}",
    "dataset.ingested": lambda what, d: f"brought in data {what} ({d.get('rows', 0):,} rows)",
    "dataset.frozen": lambda what, d: f"froze dataset version {what}",
    "split.created": lambda what, d: f"split {what} into train, validation and test",
    "recipe.saved": lambda what, d: f"saved {what}",
    "search.started": lambda what, d: f"started {what}",
    "search.finished": lambda what, d: f"finished {what} ({d.get('runs', 0)} run{'' if d.get('runs') == 1 else 's'})",
    "run.rerun": lambda what, d: f"reran {what}",
    "model.registered": lambda what, d: f"registered {what}",
    "model.mitigated": lambda what, d: f"made a fairer candidate, {what}",
    "validation.recorded": lambda what, d: f"validated {what}: "
                                           + ("it meets every blocking objective" if d.get("passed")
                                              else f"it misses {', '.join(d.get('failing') or ['an objective'])}"),
    "evidence.explanation": lambda what, d: f"explained what drives {what}",
    "evidence.fairness": lambda what, d: f"reviewed the fairness of {what}",
    "evidence.mitigation_tradeoff": lambda what, d: f"compared fairer candidates of {what}",
    "evidence.feasibility": lambda what, d: "checked feasibility",
    "model.load_refused": lambda what, d: f"was refused loading {what} (its file did not match)",
    "abtest.started": lambda what, d: f"started {what} ({d.get('share', 0):.0%} of traffic to the challenger)",
    "abtest.traffic_simulated": lambda what, d: f"sent {d.get('rows', 0):,} simulated labelled rows through {what}",
    "abtest.concluded": lambda what, d: f"concluded {what}: challenger {d.get('decision', '?')} ({d.get('verdict')})",
    "abtest.rolled_back": lambda what, d: f"rolled back {what}",
    "retrain.policy_created": lambda what, d: f"made {what}",
    "retrain.policy_updated": lambda what, d: f"changed {what}",
    "retrain.policy_enabled": lambda what, d: f"enabled {what}",
    "retrain.policy_disabled": lambda what, d: f"disabled {what}",
    "retrain.started": lambda what, d: f"started {what}"
                                       + (f" on alert #{d['alert_id']}" if d.get("alert_id") else ""),
    "retrain.finished": lambda what, d: f"ended {what}: {d.get('state')}",
    "retrain.refused": lambda what, d: f"could not start {what}",
    "retrain.cancel_requested": lambda what, d: f"asked {what} to stop",
    "govern.signoff": lambda what, d: {"approve": f"signed off {what}: approved",
                                       "conditional": f"signed off {what}: approved with conditions",
                                       "reject": f"signed off {what}: rejected"}.get(d.get("decision"),
                                                                                  f"signed off {what}"),
    "govern.docs_written": lambda what, d: f"wrote the technical documentation of {what}",
    "audit.anchored": lambda what, d: "anchored the audit trail",
    "model.archived": lambda what, d: f"archived {what} ({d.get('files', 0)} files) and retired it",
    "dataset.deleted": lambda what, d: f"deleted the rows of {what} by the retention rule (record and hash kept)",
    "retention.rule_set": lambda what, d: "set the retention rule",
    "retention.cleanup": lambda what, d: f"deleted {d.get('items', 0)} items ({d.get('bytes', 0):,} bytes) by the "
                                         "retention rule",
}
_STATE_WORDS = {"validated": "marked {what} validated", "approved": "approved {what}", "rejected": "rejected {what}",
                "staging": "moved {what} to staging", "production": "put {what} in production",
                "retired": "retired {what}"}
_USER_WORDS = {"user.added": "added user {name} ({role})", "user.role_changed": "made {name} {to}",
               "user.disabled": "disabled user {name}", "user.enabled": "enabled user {name} again",
               "user.password_set": "set a new password for {name}",
               "workspace.initialised": "created the workspace", "workspace.demo_seeded": "seeded the demo workspace"}


def describe(cursor, event: AuditEvent, project_names: dict[int, str]) -> Activity:
    """One audit event as a sentence, with the name of the project it belongs to."""
    kind, _, raw_id = event.entity.partition(":")
    details = event.details or {}
    at = datetime.fromisoformat(event.at.replace("Z", "+00:00"))
    if event.action in _USER_WORDS or kind == "user":
        template = _USER_WORDS.get(event.action, event.action.replace(".", " ").replace("_", " ") + " {name}")
        words = template.format(name=raw_id, role=details.get("role", ""), to=details.get("to", ""))
        return Activity(at=at, actor=event.actor, sentence=f"{event.actor} {words}", project=None)
    project_id, what = _project_of(cursor, kind, int(raw_id)) if raw_id.isdigit() else (None, event.entity)
    project = project_names.get(project_id) if project_id is not None else None
    if project is None and project_id is not None:
        found = project_store.get(cursor, project_id)
        project = found.name if found else None
    if project and kind != "project":
        what = f"{what} of {project}"  # "model v1 of Income over 50K"
    state = event.action.split(".", 1)[1] if event.action.startswith("model.") else ""
    if state in _STATE_WORDS:
        words = _STATE_WORDS[state].format(what=what)
    elif event.action in _VERBS:
        words = _VERBS[event.action](what, details)
    else:
        words = f"{event.action.replace('.', ' ').replace('_', ' ')} {what}".strip()
    if kind == "project" and project:
        words += f" {project}" if event.action in _PROJECT_ITSELF else f" of {project}"
    return Activity(at=at, actor=event.actor, sentence=f"{event.actor} {words}", project=project)


_PROJECT_ITSELF = ("project.created", "project.archived", "project.restored")


def recent(workspace: Workspace, *, limit: int = 20) -> list[Activity]:
    """The latest events, newest first, in words."""
    cursor = workspace.db.cursor()
    names = {p.id: p.name for p in project_store.list_all(cursor, archived=True)}
    events = audit_log.events(cursor, limit=limit)
    return [describe(cursor, event, names) for event in sorted(events, key=lambda e: e.seq, reverse=True)]
