"""Retraining policies: when a project retrains (by hand, on a Monitor alert, every N days), on
which rows (a ``DataWindow``) and with which search (a ``SearchChoice``).

Everything a policy says is checked when it is saved, against the project: the window's kind and
time range, the trigger's alert kinds or period, and a custom search's algorithm, method, space and
folds exactly as Develop's ``run_search`` would check them. A bad policy is refused whole; nothing
is written. Policies are never deleted, only disabled, so every retrain keeps the policy it ran.
Every save, enabling and disabling is on the audit trail; an automatic retrain acts as the person
who last saved or enabled its policy (``RetrainPolicy.owner``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any, Mapping

from lifecycle import names
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.projects import get_project
from lifecycle.records import (ALERT_KINDS, POLICY_TRIGGERS, SEARCH_SOURCES, WINDOW_KINDS, DataWindow, Project,
                               RetrainPolicy, SearchChoice, User)
from lifecycle.store import audit_log
from lifecycle.store import retrains as retrain_store
from lifecycle.workspace import Workspace

MAX_NAME = 80
MIN_EVERY_DAYS = 1 / 24  # an hour: a schedule is checked when the app or the CLI runs, not by a clock
DEFAULT_FOLDS = 5
DEFAULT_METHOD = "random"


def data_window(kind: str = "both", *, since: datetime | None = None, until: datetime | None = None,
                last_days: float | None = None) -> DataWindow:
    """A checked ``DataWindow``: ``kind`` reference, production or both; production rows bounded by
    [``since``, ``until``) (naive UTC) or by the ``last_days`` before each retrain. Raises InputError for
    an unknown kind, an empty or reversed range, both kinds of range at once, or a range on a window
    without production rows."""
    if kind not in WINDOW_KINDS:
        raise InputError(f"Unknown data window {kind!r}.",
                         "Use 'reference' (the production version's dataset version), 'production' (labelled "
                         "production rows) or 'both'.")
    if last_days is not None:
        if isinstance(last_days, bool) or not isinstance(last_days, (int, float)) or not (
                math.isfinite(last_days) and last_days > 0):
            raise InputError(f"The window's last {last_days!r} days is not a number of days above 0.",
                             "Give the days before each retrain, e.g. 14.")
        if since is not None or until is not None:
            raise InputError("The window has both a number of last days and dates.", "Give one or the other.")
    if since is not None and until is not None and since >= until:
        raise InputError(f"The window starts ({since:%Y-%m-%d %H:%M}) at or after it ends ({until:%Y-%m-%d %H:%M}).",
                         "Give a start before the end.")
    window = DataWindow(kind=kind, since=since, until=until,
                        last_days=float(last_days) if last_days is not None else None)
    if not window.uses_production and (since is not None or until is not None or last_days is not None):
        raise InputError("A time range bounds labelled production rows, but this window takes the reference only.",
                         "Drop the range, or use the window 'production' or 'both'.")
    return window


def search_choice(source: str = "production_search", *, algorithm: str | None = None, method: str | None = None,
                  space: Mapping[str, Any] | str | None = None, trials: int | None = None,
                  cv_folds: int | None = None, seed: int | None = None) -> SearchChoice:
    """A ``SearchChoice``: ``production_search`` (default) and ``production_params`` take nothing
    else; ``custom`` needs an ``algorithm`` and takes the rest as Develop's search does (method random,
    5 folds, seed 0 when not given). Its fit to a project is checked by :func:`check_search`. Raises
    InputError for an unknown source, or settings given to a source that takes none."""
    if source not in SEARCH_SOURCES:
        raise InputError(f"Unknown search {source!r}.",
                         "Use 'production_search' (the search that made the production version), "
                         "'production_params' (its parameters, refitted) or 'custom'.")
    given = {k: v for k, v in dict(algorithm=algorithm, method=method, space=space, trials=trials,
                                   cv_folds=cv_folds, seed=seed).items() if v is not None}
    if source != "custom":
        if given:
            raise InputError(f"The search {source!r} takes no {sorted(given)[0]}; it repeats what produced the "
                             "production version.", "Drop the setting, or use the search 'custom'.")
        return SearchChoice(source=source)
    if not algorithm:
        raise InputError("A custom search needs an algorithm.", "Name one, e.g. hist_gradient_boosting.")
    from lifecycle.develop.catalogue import space_dict

    return SearchChoice(source="custom", algorithm=str(algorithm), method=method or DEFAULT_METHOD,
                        space=space_dict(space) if space is not None else None, trials=trials,
                        cv_folds=DEFAULT_FOLDS if cv_folds is None else cv_folds, seed=0 if seed is None else seed)


def check_search(project: Project, choice: SearchChoice) -> None:
    """Refuse a custom search that Develop's ``run_search`` would refuse on ``project``: an unknown
    algorithm or one that does not handle the task, an unknown method, a space that does not parse or
    does not fit the method and trials, folds outside 2 to 20, a negative seed. Raises InputError."""
    if choice.source != "custom":
        return
    from lifecycle.develop.catalogue import get_algorithm, parse_space
    from lifecycle.develop.search import candidates
    from lifecycle.develop.training import MAX_FOLDS

    algorithm = get_algorithm(choice.algorithm)
    if not algorithm.supports(project.task):
        raise InputError(f"{algorithm.label} does not handle {project.task} tasks.",
                         "Pick an algorithm of the task (`python -m lifecycle train --help` lists them).")
    space = choice.space if choice.space is not None else (
        {} if choice.method == "none" else algorithm.default_space(project.task, choice.method or DEFAULT_METHOD))
    candidates(choice.method, parse_space(algorithm, project.task, space), choice.trials, choice.seed or 0)
    folds = choice.cv_folds
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= MAX_FOLDS:
        raise InputError(f"{folds!r} cross-validation folds is not a whole number from 2 to {MAX_FOLDS}.",
                         "Use 5, for example.")
    if isinstance(choice.seed, bool) or not isinstance(choice.seed, int) or choice.seed < 0:
        raise InputError(f"Seed {choice.seed!r} is not a whole number >= 0.", "Use a seed such as 0.")


def _trigger(trigger: str, alert_kinds, every_days) -> tuple[tuple[str, ...], float | None]:
    if trigger not in POLICY_TRIGGERS:
        raise InputError(f"Unknown trigger {trigger!r}.", "Use 'manual', 'alert' or 'schedule'.")
    kinds = tuple(dict.fromkeys(alert_kinds or ()))
    if trigger == "alert":
        kinds = kinds or ALERT_KINDS
        unknown = [k for k in kinds if k not in ALERT_KINDS]
        if unknown:
            raise InputError(f"Alert kind {unknown[0]!r} is not one of {', '.join(ALERT_KINDS)}.", "Pick from them.")
    elif kinds:
        raise InputError(f"Alert kinds are for the trigger 'alert', not {trigger!r}.", "Drop them or change the trigger.")
    if trigger == "schedule":
        if isinstance(every_days, bool) or not isinstance(every_days, (int, float)) or not (
                math.isfinite(every_days) and every_days >= MIN_EVERY_DAYS):
            raise InputError(f"A schedule of every {every_days!r} days is not a period.",
                             f"Give the days between retrains, at least {MIN_EVERY_DAYS * 24:g} hour (e.g. 7).")
        return kinds, float(every_days)
    if every_days is not None:
        raise InputError(f"A period of days is for the trigger 'schedule', not {trigger!r}.",
                         "Drop it or change the trigger.")
    return kinds, None


def _name(name: str) -> str:
    name = names.check(name if isinstance(name, str) else "", "The policy name")
    if not name or len(name) > MAX_NAME:
        raise InputError(f"Policy name {name!r} is empty or longer than {MAX_NAME} characters.",
                         "Give a short name, e.g. 'weekly' or 'on drift'.")
    return name


def _described(policy: RetrainPolicy) -> dict[str, Any]:
    window = asdict(policy.window)
    window.update({k: window[k].isoformat() if window[k] else None for k in ("since", "until")})
    return {"project_id": policy.project_id, "name": policy.name, "trigger": policy.trigger,
            "alert_kinds": list(policy.alert_kinds), "every_days": policy.every_days, "window": window,
            "search": asdict(policy.search), "enabled": policy.enabled}


def create_policy(workspace: Workspace, actor: User, project_id: int, *, name: str, trigger: str = "manual",
                  window: DataWindow | None = None, search: SearchChoice | None = None,
                  alert_kinds: tuple[str, ...] | list[str] = (), every_days: float | None = None) -> RetrainPolicy:
    """Save a new, enabled policy of the project (window default ``both``, search default the one that
    produced the production version) and its audit event. Raises PermissionDenied (RETRAIN), NotFound
    (project) or InputError (a name in use or not allowed, an unknown trigger, alert kind or algorithm,
    a bad period, window or search); nothing is written then."""
    require(actor, Permission.RETRAIN)
    project = get_project(workspace, project_id)
    name = _name(name)
    kinds, every = _trigger(trigger, alert_kinds, every_days)
    window = window or data_window("both")
    search = search or search_choice()
    check_search(project, search)
    with workspace.db.transaction() as cursor:
        if retrain_store.policy_named(cursor, project.id, name) is not None:
            raise InputError(f"Project {project.name!r} already has a retraining policy named {name!r}.",
                             "Pick another name, or edit that policy.")
        policy = retrain_store.insert_policy(cursor, project_id=project.id, name=name, trigger=trigger,
                                             alert_kinds=kinds, every_days=every, window=window, search=search,
                                             created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="retrain.policy_created", entity=f"retrain_policy:{policy.id}",
                         details=_described(policy))
    return policy


def update_policy(workspace: Workspace, actor: User, policy_id: int, *, name: str | None = None,
                  trigger: str | None = None, window: DataWindow | None = None, search: SearchChoice | None = None,
                  alert_kinds: tuple[str, ...] | list[str] | None = None,
                  every_days: float | None = None) -> RetrainPolicy:
    """Change what the policy says (only what is given; changing the trigger takes its alert kinds or
    period anew); the editor becomes who its automatic retrains act as. Checked as on creation.
    Raises PermissionDenied, NotFound or InputError; nothing changes then."""
    require(actor, Permission.RETRAIN)
    policy = get_policy(workspace, policy_id)
    project = get_project(workspace, policy.project_id)
    new_trigger = trigger or policy.trigger
    if trigger is not None and trigger != policy.trigger:
        kinds_in, every_in = alert_kinds, every_days
    else:
        kinds_in = policy.alert_kinds if alert_kinds is None else alert_kinds
        every_in = policy.every_days if every_days is None else every_days
    kinds, every = _trigger(new_trigger, kinds_in, every_in)
    changed = replace(policy, name=_name(name) if name is not None else policy.name, trigger=new_trigger,
                      alert_kinds=kinds, every_days=every, window=window or policy.window,
                      search=search or policy.search)
    check_search(project, changed.search)
    with workspace.db.transaction() as cursor:
        other = retrain_store.policy_named(cursor, project.id, changed.name)
        if other is not None and other.id != policy.id:
            raise InputError(f"Project {project.name!r} already has a retraining policy named {changed.name!r}.",
                             "Pick another name.")
        saved = retrain_store.update_policy(cursor, policy.id, name=changed.name, trigger=changed.trigger,
                                            alert_kinds=changed.alert_kinds, every_days=changed.every_days,
                                            window=changed.window, search=changed.search, enabled=policy.enabled,
                                            updated_by=actor.name)
        before, after = _described(policy), _described(saved)
        audit_log.append(cursor, actor=actor.name, action="retrain.policy_updated", entity=f"retrain_policy:{policy.id}",
                         details={"changed": {k: {"from": before[k], "to": after[k]} for k in after
                                              if before[k] != after[k]}})
    return saved


def set_enabled(workspace: Workspace, actor: User, policy_id: int, enabled: bool) -> RetrainPolicy:
    """Enable or disable a policy (a disabled one never fires and cannot be run); enabling makes the
    actor who its automatic retrains act as. Raises PermissionDenied, NotFound, or InputError when it
    is already so."""
    require(actor, Permission.RETRAIN)
    policy = get_policy(workspace, policy_id)
    if policy.enabled == enabled:
        raise InputError(f"Policy #{policy.id} ({policy.name}) is already {'enabled' if enabled else 'disabled'}.",
                         "Nothing to do.")
    with workspace.db.transaction() as cursor:
        saved = retrain_store.update_policy(cursor, policy.id, name=policy.name, trigger=policy.trigger,
                                            alert_kinds=policy.alert_kinds, every_days=policy.every_days,
                                            window=policy.window, search=policy.search, enabled=enabled,
                                            updated_by=actor.name)
        audit_log.append(cursor, actor=actor.name,
                         action="retrain.policy_enabled" if enabled else "retrain.policy_disabled",
                         entity=f"retrain_policy:{policy.id}", details={"project_id": policy.project_id,
                                                                        "name": policy.name})
    return saved


def disable_policy(workspace: Workspace, actor: User, policy_id: int) -> RetrainPolicy:
    """Disable a policy: it fires no more; its retrains stay on record. See :func:`set_enabled`."""
    return set_enabled(workspace, actor, policy_id, False)


def enable_policy(workspace: Workspace, actor: User, policy_id: int) -> RetrainPolicy:
    """Enable a disabled policy again; the actor becomes who it acts as. See :func:`set_enabled`."""
    return set_enabled(workspace, actor, policy_id, True)


def get_policy(workspace: Workspace, policy_id: int) -> RetrainPolicy:
    """The policy with this id. Raises NotFound."""
    policy = retrain_store.get_policy(workspace.db.cursor(), int(policy_id))
    if policy is None:
        raise NotFound(f"No retraining policy #{policy_id}.", "List them with `retrain policy list --project NAME`.")
    return policy


def list_policies(workspace: Workspace, project_id: int) -> list[RetrainPolicy]:
    """The project's policies, oldest first (disabled ones included)."""
    return retrain_store.policies(workspace.db.cursor(), project_id)


def describe(policy: RetrainPolicy) -> str:
    """The policy in one plain sentence: when, on which rows, with which search."""
    if policy.trigger == "alert":
        when = f"on each open {' or '.join(policy.alert_kinds)} alert, once per alert"
    elif policy.trigger == "schedule":
        when = f"every {policy.every_days:g} day{'s' if policy.every_days != 1 else ''}"
    else:
        when = "when someone runs it"
    return f"Retrains {when}, on {describe_window(policy.window)}, with {describe_search(policy.search)}."


def describe_window(window: DataWindow) -> str:
    """Which rows, in words."""
    rows = {"reference": "the production version's own dataset version",
            "production": "labelled production rows",
            "both": "the production version's dataset version plus labelled production rows"}[window.kind]
    if window.last_days is not None:
        rows += f" of the last {window.last_days:g} days"
    elif window.since is not None or window.until is not None:
        since = f" from {window.since:%Y-%m-%d %H:%M}" if window.since else ""
        until = f" until {window.until:%Y-%m-%d %H:%M}" if window.until else ""
        rows += f" logged{since}{until} (UTC)"
    return rows


def describe_search(search: SearchChoice) -> str:
    """Which search, in words."""
    if search.source == "production_search":
        return "the search that produced the production version"
    if search.source == "production_params":
        return "the production version's own parameters, refitted"
    trials = f", {search.trials} trials" if search.trials else ""
    return f"a {search.method} search of {search.algorithm}{trials}, {search.cv_folds}-fold, seed {search.seed}"
