"""What a retrain starts from, resolved before anything is written: the version in production (the
champion), its run, dataset version, recipe and split, and the search to repeat (the production
search, its parameters refitted, or the policy's own); and what caused it (a person, an alert, a
schedule)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lifecycle.develop.runs import get_search
from lifecycle.develop.training import get_run
from lifecycle.errors import InputError, NotFound
from lifecycle.models.registry import get_version
from lifecycle.problem.projects import get_project
from lifecycle.records import ModelVersion, Project, RetrainPolicy, Run, Split
from lifecycle.retrain.policies import describe_search
from lifecycle.store import deployments as deployment_store
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace

DEVELOP_METHODS = ("none", "grid", "random", "halving")


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """What caused a retrain: ``manual`` (a person ran it), ``alert`` (#``alert_id``) or ``schedule``
    (due at ``scheduled_for``)."""

    kind: str = "manual"
    alert_id: int | None = None
    scheduled_for: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What a retrain resolves before it starts: the production version (the champion), its run,
    dataset version (the reference), recipe and split, and the search to run."""

    project: Project
    policy: RetrainPolicy
    champion: ModelVersion
    run: Run
    split: Split
    search: dict[str, Any]  # algorithm, method, space, trials, cv_folds, seed; and described


def production_version(workspace: Workspace, project: Project) -> ModelVersion:
    """The version in production (the champion a retrain starts from). Raises InputError when none is."""
    found = next((d for d in deployment_store.active(workspace.db.cursor(), project.id) if d.role == "production"),
                 None)
    if found is None:
        raise InputError(f"Project {project.name!r} has no version in production, so there is no recipe, data or "
                         "search to retrain from.", "Promote a version to production first (Deploy page or "
                         "`move ID production`).")
    return get_version(workspace, found.model_version_id)


def resolve_search(workspace: Workspace, policy: RetrainPolicy, run: Run) -> dict[str, Any]:
    """The search a retrain runs, as ``run_search`` takes it. Raises InputError when the production
    run came from no search Develop can repeat (a mitigation, a rerun) and the policy asks for it."""
    choice = policy.search
    if choice.source == "custom":
        found = {"algorithm": choice.algorithm, "method": choice.method, "space": choice.space,
                 "trials": choice.trials, "cv_folds": choice.cv_folds, "seed": choice.seed}
    else:
        if run.is_imported:
            raise InputError(f"The production version's run #{run.id} records a model imported from a file: no search "
                             "or training code to repeat.", "Give the policy a custom search (an algorithm of the "
                                                            "catalogue and its space).")
        if run.is_mitigation:
            raise InputError(f"The production version's run #{run.id} is a fairness mitigation ({run.mitigation_method}), "
                             "which no search produced.", "Give the policy a custom search.")
        search = get_search(workspace, run.search_id) if run.search_id is not None else None
        if choice.source == "production_params" or search is None or search.method not in DEVELOP_METHODS:
            if choice.source == "production_search" and (search is None or search.method not in DEVELOP_METHODS):
                raise InputError(f"The production version's run #{run.id} came from no search Develop can repeat "
                                 f"({'none' if search is None else search.method}).",
                                 "Give the policy the search 'production_params' (its parameters, refitted) or a "
                                 "custom search.")
            found = {"algorithm": run.algorithm, "method": "none", "space": {k: [v] for k, v in run.params.items()},
                     "trials": None, "cv_folds": run.cv_folds, "seed": run.seed}
        else:
            found = {"algorithm": search.algorithm, "method": search.method, "space": search.space,
                     "trials": search.trials_requested if search.method in ("random", "halving") else None,
                     "cv_folds": search.cv_folds, "seed": search.seed, "search_id": search.id}
    return {**found, "described": describe_search(choice)}


def plan(workspace: Workspace, policy: RetrainPolicy) -> Plan:
    """Resolve what ``policy`` would retrain from now. Raises InputError (no production version, a
    search that cannot be repeated), NotFound."""
    project = get_project(workspace, policy.project_id)
    champion = production_version(workspace, project)
    run = get_run(workspace, champion.run_id)
    split = preparation_store.get_split(workspace.db.cursor(), run.split_id)
    if split is None:
        raise NotFound(f"The split #{run.split_id} of the production version's run is missing.",
                       "Restore the workspace from a backup.")
    return Plan(project=project, policy=policy, champion=champion, run=run, split=split,
                search=resolve_search(workspace, policy, run))
