"""The fairness review of a registered model version, stored as review evidence.

A review is keyed by what it was computed from (:func:`lifecycle.validate.fairness.review_key`)
so asking again — from the page, the CLI or another user, or after validating, which stores the
review its verdict was judged on — reads the stored evidence instead of computing it twice.
"""
from __future__ import annotations

from dataclasses import dataclass


from lifecycle import evidence
from lifecycle.validate import stage as validate_stage
from lifecycle.models import registry
from lifecycle.develop import training
from lifecycle.problem import projects
from lifecycle.data.datasets import get_dataset
from lifecycle.errors import InputError
from lifecycle.validate.fairness import KIND, review_held_out, review_key
from lifecycle.validate.fairness_review import DEFAULT_BOOTSTRAP, MIN_GROUP_SIZE, FairnessReport
from lifecycle.records import Evidence, ModelVersion
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.progress import Progress, quiet
from lifecycle.records import Objective, Project, User
from lifecycle.validate.held_out import held_out
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class StoredReview:
    """A fairness review as the panel shows it: the report, the evidence record it is stored as, and whether it
    was read back rather than computed now."""
    report: FairnessReport
    evidence: Evidence
    from_store: bool  # True: read back, not computed now


@dataclass(frozen=True, kw_only=True)
class _Request:
    version: ModelVersion
    project: Project
    run_id: int
    sensitive: tuple[str, ...]
    threshold: float | None
    key: str


def sensitive_choices(workspace: Workspace, version: ModelVersion) -> list[str]:
    """Columns of the version's dataset that may serve as sensitive attributes (all but the target)."""
    run = training.get_run(workspace, version.run_id)
    project = projects.get_project(workspace, version.project_id)
    return [c for c in get_dataset(workspace, run.dataset_id).column_names if c != project.target]


def fairness_objectives(workspace: Workspace, project_id: int) -> tuple[Objective, ...]:
    """The project's current objectives on fairness metrics (thresholds the charts draw)."""
    found = projects.objectives(workspace, project_id)
    return tuple(o for o in (found.objectives if found else ())
                 if CATALOGUE.get(o.metric) and CATALOGUE[o.metric].kind == "fairness")


def _request(workspace: Workspace, version_id: int, sensitive, seed: int, n_bootstrap: int,
             min_group_size: int) -> _Request:
    version = registry.get_version(workspace, version_id)
    project = projects.get_project(workspace, version.project_id)
    run = training.get_run(workspace, version.run_id)
    dataset = get_dataset(workspace, run.dataset_id)
    chosen = tuple(dict.fromkeys(project.sensitive if sensitive is None else sensitive))
    if not chosen:
        raise InputError(f"Project {project.name!r} declares no sensitive attributes.",
                         "Declare them in Problem (stage 1), or pick columns (--sensitive COL).")
    for column in chosen:
        if column == project.target:
            raise InputError(f"{column!r} is the target, not a sensitive attribute.",
                             "Pick another column.")
        if column not in dataset.column_names:
            others = [c for c in dataset.column_names if c != project.target]
            raise InputError(f"Sensitive column {column!r} is not in {dataset.label}.",
                             f"Pick one of: {', '.join(others)}.")
    stored = validate_stage.latest_stored(workspace, version.id)
    threshold = None if stored is None else stored.report.get("decision_threshold")
    key = review_key(version, dataset, run.split_id, chosen, threshold=threshold, seed=seed,
                     n_bootstrap=n_bootstrap, min_group_size=min_group_size)
    return _Request(version=version, project=project, run_id=run.id, sensitive=chosen,
                    threshold=threshold, key=key)


def stored_review(workspace: Workspace, version_id: int, *, sensitive=None, seed: int = 0,
                  n_bootstrap: int = DEFAULT_BOOTSTRAP,
                  min_group_size: int = MIN_GROUP_SIZE) -> StoredReview | None:
    """The stored review for exactly these settings, or None (nothing is computed)."""
    request = _request(workspace, version_id, sensitive, seed, n_bootstrap, min_group_size)
    found = evidence.cached(workspace, version_id, KIND, request.key)
    if found is None:
        return None
    return StoredReview(report=FairnessReport.from_dict(found.payload), evidence=found, from_store=True)


def latest_review(workspace: Workspace, version_id: int) -> StoredReview | None:
    """The newest stored fairness review of a version, whatever its settings."""
    found = evidence.latest(workspace, version_id, KIND)
    if found is None:
        return None
    return StoredReview(report=FairnessReport.from_dict(found.payload), evidence=found, from_store=True)


def review_version(workspace: Workspace, actor: User, version_id: int, *, sensitive=None,
                   seed: int = 0, n_bootstrap: int = DEFAULT_BOOTSTRAP,
                   min_group_size: int = MIN_GROUP_SIZE, progress: Progress = quiet) -> StoredReview:
    """The fairness review of a model version on its test rows: read from the store when these
    settings were reviewed before (validating stores the verdict's review: the default settings
    with the validation's seed and resamples), else computed once
    (:func:`lifecycle.validate.fairness.review_held_out`, the dataset loaded once), stored as
    evidence and audited. ``sensitive`` defaults to the project's sensitive attributes.
    Raises InputError for columns that cannot be reviewed, before any work."""
    request = _request(workspace, version_id, sensitive, seed, n_bootstrap, min_group_size)

    def compute() -> tuple[str, dict]:
        progress(0.1, "Loading the model and its test rows")
        held = held_out(workspace, request.version, actor_name=actor.name)
        report = review_held_out(held, request.sensitive, threshold=request.threshold, seed=seed,
                                 n_bootstrap=n_bootstrap, min_group_size=min_group_size, progress=progress)
        progress(1.0, "Stored as evidence")
        return report.summary, report.to_dict()

    found, from_store = evidence.get_or_compute(workspace, actor, request.version.id, KIND, request.key,
                                                compute)
    return StoredReview(report=FairnessReport.from_dict(found.payload), evidence=found,
                        from_store=from_store)
