"""Stage 1 — Problem: projects, their framing and their measurable objectives."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

from lifecycle import names
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.objectives import make_objective, parse_objective
from lifecycle.records import RISK_TIERS, TASKS, Objective, ObjectiveSet, Project, User
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import projects as project_store
from lifecycle.workspace import Workspace

MAX_NAME = 80


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise editable project fields; raise InputError naming the field."""
    out = dict(fields)
    for key in ("name", "statement", "target", "owner", "intended_use", "out_of_scope"):
        if key in out:
            out[key] = (out[key] or "").strip()
    for key, what in (("name", "The project name"), ("target", "The target column"), ("owner", "The owner")):
        if out.get(key):
            names.check(out[key], what)
    if "name" in out:
        if not out["name"]:
            raise InputError("The project has no name.", "Give it a short name, e.g. 'Income over 50K'.")
        if len(out["name"]) > MAX_NAME:
            raise InputError(f"The project name is {len(out['name'])} characters long.",
                             f"Keep it under {MAX_NAME}.")
    if "task" in out and out["task"] not in TASKS:
        raise InputError(f"Task {out['task']!r} is not supported.", f"Choose one of: {', '.join(TASKS)}.")
    if "target" in out and not out["target"]:
        raise InputError("The project has no target column.",
                         "Name the column the model should predict, e.g. 'income'.")
    if "risk_tier" in out and out["risk_tier"] not in RISK_TIERS:
        raise InputError(f"Risk tier {out['risk_tier']!r} is not one of {', '.join(RISK_TIERS)}.",
                         "Pick low, medium or high.")
    if "positive_class" in out:
        value = out["positive_class"]
        out["positive_class"] = str(value).strip() if value not in (None, "") else None
    if "sensitive" in out:
        seen = []
        for column in out["sensitive"] or ():
            column = names.check(str(column), "The sensitive attribute")
            if column and column not in seen:
                seen.append(column)
        out["sensitive"] = tuple(seen)
        if out.get("target") and out["target"] in seen:
            raise InputError(f"The target {out['target']!r} is also listed as a sensitive attribute.",
                             "Remove it from the sensitive attributes.")
    return out


def _check_positive_class(task: str, target: str, positive_class: str | None, *,
                          values: Callable[[], list[str]] = list) -> None:
    """A binary project names its positive class; a regression project has none. ``values`` gives the
    target's values when data exists, to list them in the message."""
    if task == "regression" and positive_class:
        raise InputError("A regression task has no positive class.", "Leave the positive class empty.")
    if task != "binary" or positive_class:
        return
    seen = values()
    if seen:
        fix = f"Pick one of the values of {target!r} in the data: {', '.join(map(repr, seen))}."
    else:
        fix = f"Name the value of {target!r} that counts as positive (the outcome the model flags), e.g. 'yes'."
    raise InputError("A binary project needs a positive class.", fix)


def create_project(workspace: Workspace, actor: User, *, name: str, task: str, target: str,
                   statement: str = "", positive_class: str | None = None,
                   sensitive: tuple[str, ...] | list[str] = (), owner: str | None = None,
                   risk_tier: str = "medium", intended_use: str = "", out_of_scope: str = "",
                   objectives: list[Objective] | list[str] = ()) -> Project:
    """Create a project and, when ``objectives`` are given (Objective records or text such as 'roc_auc>=0.85'),
    its objectives version 1, with audit events in one transaction. Raises PermissionDenied (needs
    EDIT_PROJECT), InputError naming the field for a bad name, task, risk tier, positive class or
    objective."""
    require(actor, Permission.EDIT_PROJECT)
    fields = _clean(dict(name=name, statement=statement, task=task, target=target,
                         positive_class=positive_class, sensitive=tuple(sensitive),
                         owner=owner or actor.name, risk_tier=risk_tier,
                         intended_use=intended_use, out_of_scope=out_of_scope))
    _check_positive_class(fields["task"], fields["target"], fields["positive_class"])
    parsed = [o if isinstance(o, Objective) else parse_objective(o, task=task) for o in objectives]
    with workspace.db.transaction() as cursor:
        if project_store.get_by_name(cursor, fields["name"]):
            raise InputError(f"A project named {fields['name']!r} already exists.",
                             "Pick another name or open the existing project.")
        project = project_store.insert(cursor, created_by=actor.name, **fields)
        objective_set = project_store.insert_objectives(cursor, project.id, parsed, actor.name)
        audit_log.append(cursor, actor=actor.name, action="project.created",
                         entity=f"project:{project.id}",
                         details={**_public(project), "objectives": [str(o) for o in objective_set.objectives]})
    return project


def _public(project: Project) -> dict[str, Any]:
    data = asdict(project)
    for key in ("created_at", "updated_at", "created_by", "id", "archived_at"):
        data.pop(key)
    data["sensitive"] = list(project.sensitive)
    return data


def update_project(workspace: Workspace, actor: User, project_id: int, **changes: Any) -> Project:
    """Change framing fields of a project (the ``create_project`` keywords but objectives); audited with the
    fields that changed. Raises PermissionDenied, NotFound, InputError for a bad value."""
    require(actor, Permission.EDIT_PROJECT)
    current = get_project(workspace, project_id)
    merged = _clean({**_public(current), **changes})
    _check_positive_class(merged["task"], merged["target"], merged["positive_class"],
                          values=lambda: dataset_store.target_values(workspace.db.cursor(), workspace.path,
                                                                     project_id, merged["target"]))
    diff = {k: v for k, v in merged.items() if v != _public(current)[k]
            and not (k == "sensitive" and tuple(v) == current.sensitive)}
    if not diff:
        return current
    with workspace.db.transaction() as cursor:
        if "name" in diff:
            clash = project_store.get_by_name(cursor, diff["name"])
            if clash and clash.id != project_id:
                raise InputError(f"A project named {diff['name']!r} already exists.", "Pick another name.")
        project = project_store.update(cursor, project_id, diff)
        audit_log.append(cursor, actor=actor.name, action="project.updated",
                         entity=f"project:{project_id}",
                         details={k: {"from": _public(current)[k], "to": _public(project)[k]} for k in diff})
    return project


def set_objectives(workspace: Workspace, actor: User, project_id: int,
                   objectives: list[Objective] | list[str]) -> ObjectiveSet:
    """Store a new version of the project's objectives (earlier versions stay on record).

    When they equal the current version, nothing is written and the current version is returned."""
    require(actor, Permission.EDIT_PROJECT)
    project = get_project(workspace, project_id)
    parsed = [make_objective(o.metric, o.comparator, o.threshold, task=project.task, blocking=o.blocking)
              if isinstance(o, Objective) else parse_objective(o, task=project.task) for o in objectives]
    metrics = [o.metric for o in parsed]
    repeated = sorted({m for m in metrics if metrics.count(m) > 1})
    if repeated:
        raise InputError(f"Objective metric {', '.join(repeated)} appears more than once.",
                         "Keep one threshold per metric.")
    current = project_store.objective_set(workspace.db.cursor(), project_id, None)
    if current is not None and tuple(parsed) == current.objectives:
        return current  # nothing new: no new version
    with workspace.db.transaction() as cursor:
        objective_set = project_store.insert_objectives(cursor, project_id, parsed, actor.name)
        audit_log.append(cursor, actor=actor.name, action="objectives.set",
                         entity=f"project:{project_id}",
                         details={"version": objective_set.version,
                                  "objectives": [str(o) + ("" if o.blocking else " (advisory)") for o in parsed]})
    return objective_set


def get_project(workspace: Workspace, project_id: int) -> Project:
    """The project with this id. Raises NotFound."""
    project = project_store.get(workspace.db.cursor(), project_id)
    if project is None:
        raise NotFound(f"No project with id {project_id}.", "List projects with `project list`.")
    return project


def find_project(workspace: Workspace, name: str) -> Project:
    """The project named ``name`` (exact match). Raises NotFound listing the projects there are."""
    project = project_store.get_by_name(workspace.db.cursor(), name)
    if project is None:
        names = ", ".join(p.name for p in list_projects(workspace, archived=True)) or "none yet"
        raise NotFound(f"No project named {name!r}.", f"Projects here: {names}.")
    return project


def list_projects(workspace: Workspace, *, archived: bool = False) -> list[Project]:
    """The projects in work (the portfolio and the picker); ``archived=True``: every project, archived included."""
    return project_store.list_all(workspace.db.cursor(), archived=archived)


def set_archived(workspace: Workspace, actor: User, project_id: int, archived: bool) -> Project:
    """Archive a project (hidden from the portfolio and the picker, kept on record) or restore it; admins only."""
    require(actor, Permission.ARCHIVE_PROJECT)
    current = get_project(workspace, project_id)
    if (current.archived_at is not None) == archived:
        return current
    with workspace.db.transaction() as cursor:
        project = project_store.set_archived(cursor, project_id, archived)
        audit_log.append(cursor, actor=actor.name, action="project.archived" if archived else "project.restored",
                         entity=f"project:{project_id}", details={"name": project.name})
    return project


def objectives(workspace: Workspace, project_id: int, version: int | None = None) -> ObjectiveSet | None:
    return project_store.objective_set(workspace.db.cursor(), project_id, version)


def objective_versions(workspace: Workspace, project_id: int) -> list[int]:
    """The version numbers of a project's objectives, ascending ([] when none were set)."""
    return project_store.objective_versions(workspace.db.cursor(), project_id)
