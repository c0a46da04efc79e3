"""Stage 4 — Validate: evaluate a registered model version on its test split, store the report,
and move the version to ``validated`` when every blocking objective passes."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.models import states as model_states
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError
from lifecycle.records import ModelState, ModelVersion, StoredValidation
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.validate.held_out import held_out
from lifecycle.validate.fairness import review_key, store_review
from lifecycle.validate.fairness_review import MIN_GROUP_SIZE
from lifecycle.validate.report import ValidationReport, evaluate_with_review
from lifecycle.validate.verdicts import Status
from lifecycle.workspace import Workspace

DEFAULT_BOOTSTRAP = 200


@dataclass(frozen=True, kw_only=True)
class ValidationOutcome:
    stored: StoredValidation
    report: ValidationReport
    version: ModelVersion  # after the move, when there was one


def validate_version(workspace: Workspace, actor: User, version_id: int, *, seed: int = 0,
                     n_bootstrap: int = DEFAULT_BOOTSTRAP, cost_fn: float | None = None,
                     cost_fp: float | None = None) -> ValidationOutcome:
    """Validate ``version_id`` on its test split (:func:`~lifecycle.validate.report.evaluate`),
    store the report and its audit event, move a passing candidate to ``validated``, and store
    the fairness review its fairness verdicts were judged on as the version's fairness evidence.
    ``cost_fn``/``cost_fp`` (binary only) set the decision threshold. Raises PermissionDenied,
    NotFound, or InputError (a rejected or retired version, a split without test rows, costs
    for a non-binary task)."""
    require(actor, Permission.VALIDATE_MODEL)
    version = registry.get_version(workspace, version_id)
    if version.state.is_closed:
        raise InputError(f"Model {version.label} is {version.state}; it is no longer validated.",
                         "Register a new version from a run.")
    held = held_out(workspace, version, actor_name=actor.name)
    run, data, project, pipeline = held.run, held.data, held.project, held.pipeline
    objective_set = projects.objectives(workspace, project.id)
    present = [c for c in project.sensitive if c in {s.name for s in data.dataset.columns}]
    sensitive = None
    if present:
        frame = held.columns(present)
        sensitive = {c: frame[c] for c in present}
    cost = None
    if cost_fn is not None or cost_fp is not None:
        if project.task != "binary":
            raise InputError("A cost matrix applies to binary tasks only.", "Leave the costs empty.")
        cost = {"fn": float(cost_fn if cost_fn is not None else 1.0), "fp": float(cost_fp if cost_fp is not None else 1.0)}
    cv_scores = {metric: values["mean"] for metric, values in run.cv_metrics.items()}
    evaluated = evaluate_with_review(
        pipeline, task=project.task, X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
        y_test=data.y_test, objectives=list(objective_set.objectives) if objective_set else [],
        cv_scores=cv_scores, sensitive=sensitive, seed=seed, n_bootstrap=n_bootstrap, cost_matrix=cost,
        positive_class=data.positive_class)
    report = evaluated.report
    with workspace.db.transaction() as cursor:
        stored = model_store.insert_validation(
            cursor, model_version_id=version.id, objectives_version=objective_set.version if objective_set else None,
            passed=report.passed, report=report.to_dict(), created_by=actor.name)
        failing = [v.objective for v in report.blocking_failures]
        audit_log.append(cursor, actor=actor.name, action="validation.recorded", entity=f"model:{version.id}",
                         details={"report_id": stored.id, "passed": report.passed, "failing": failing,
                                  "objectives_version": stored.objectives_version})
        if report.passed and version.state == ModelState.CANDIDATE:
            version = model_states.transition(
                workspace, actor, version.id, ModelState.VALIDATED,
                f"every blocking objective passes on the test split (validation report #{stored.id})")
    if evaluated.fairness_review is not None:
        # The review the fairness verdicts were judged on is the Fairness panel's review with these
        # settings: stored as its evidence, so the panel reads it instead of computing it again.
        key = review_key(held.version, held.dataset, held.split.id, present, threshold=report.decision_threshold,
                         seed=seed, n_bootstrap=n_bootstrap, min_group_size=MIN_GROUP_SIZE)
        store_review(workspace, actor, held.version, key, evaluated.fairness_review)
    return ValidationOutcome(stored=stored, report=report, version=version)


def latest_stored(workspace: Workspace, version_id: int) -> StoredValidation | None:
    """The newest stored validation of a model version (its report as stored JSON), or None."""
    return model_store.latest_validation(workspace.db.cursor(), version_id)


def latest_report(workspace: Workspace, version_id: int) -> tuple[StoredValidation, ValidationReport] | None:
    stored = latest_stored(workspace, version_id)
    if stored is None:
        return None
    return stored, ValidationReport.from_dict(stored.report)
