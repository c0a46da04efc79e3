"""Fairness mitigation: new candidate model versions from a registered one.

Three methods, each refit on the base version's training split and registered as a new
``candidate`` that goes through the normal validation and state machine:

* ``threshold_optimizer`` — Fairlearn's ``ThresholdOptimizer`` on the base model's
  probabilities (post-processing; the base model is not refitted);
* ``exponentiated_gradient`` — Fairlearn's ``ExponentiatedGradient`` reduction around the
  base estimator (refitted with sample weights, up to ``max_iter`` times);
* ``correlation_remover`` — the recipe, then Fairlearn's ``CorrelationRemover`` on the
  one-hot columns of the sensitive attribute(s), then a clone of the base estimator.

Each candidate's run record says what it is (algorithm = the method, params with
``mitigation``, ``base_version``, ``constraints``, ``sensitive``, ``extra_inputs``), on the base
run's dataset, split and recipe. :mod:`lifecycle.review.mitigation_tradeoff` measures the base and every candidate on the
test split with Fairlearn's own metric functions and stores the points as evidence.
Binary tasks only: Fairlearn's classification constraints need two classes.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import has_fit_parameter

from lifecycle.models import registry
from lifecycle.develop import training
from lifecycle.auth import Permission, require
from lifecycle.develop.catalogue import get_algorithm
from lifecycle.errors import InputError
from lifecycle.review.fair_models import CONSTRAINTS, GroupThresholdClassifier, MixtureClassifier, group_keys
from lifecycle.problem.metrics import PRIMARY
from lifecycle.records import InputColumn, ModelVersion
from lifecycle.progress import Progress, quiet
from lifecycle.data.recipe.compiler import compile_recipe
from lifecycle.records import User
from lifecycle.records import Run
from lifecycle.store import audit_log
from lifecycle.data.recipe.transformers import AsText
from lifecycle.validate.groups import MISSING_GROUP, group_labels
from lifecycle.validate.held_out import held_out
from lifecycle.workspace import Workspace

METHODS = ("threshold_optimizer", "exponentiated_gradient", "correlation_remover")
METHOD_LABELS = {"threshold_optimizer": "Threshold optimizer", "exponentiated_gradient": "Exponentiated gradient",
                 "correlation_remover": "Correlation remover"}
CONSTRAINT_METRICS = {"demographic_parity": "demographic_parity_difference",
                      "equalized_odds": "equalized_odds_difference"}
MAX_GROUPS = 20


@dataclass(frozen=True, kw_only=True)
class Mitigated:
    """A new candidate version, its run record and the version it mitigates."""

    version: ModelVersion
    run: Run
    base: ModelVersion
    notes: tuple[str, ...] = ()


def describe(run: Run) -> str:
    """'Threshold optimizer, equalized odds on sex' for a mitigation run; the algorithm otherwise."""
    if not run.is_mitigation:
        return run.algorithm
    params, method = run.params, run.mitigation_method
    return (f"{METHOD_LABELS.get(method, method)}, "
            f"{str(params.get('constraints', '')).replace('_', ' ')} on {', '.join(params.get('sensitive', []))}")


# ----------------------------------------------------------------------------- checks

def check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InputError(f"Unknown {what} {value!r}.", f"Use one of: {', '.join(allowed)}.")


def sensitive_columns(project, dataset, sensitive) -> list[str]:
    if not project.sensitive:
        raise InputError(f"Project {project.name!r} lists no sensitive attribute, so there is no group to be "
                         "fair to.", "Name the sensitive attributes (such as sex) in stage 1 (Problem).")
    chosen = list(dict.fromkeys(sensitive or project.sensitive))
    if not chosen:
        raise InputError("No sensitive attribute was chosen.", f"Pick one of: {', '.join(project.sensitive)}.")
    columns = {c.name for c in dataset.columns}
    for name in chosen:
        if name not in project.sensitive:
            raise InputError(f"{name!r} is not a sensitive attribute of project {project.name!r}.",
                             f"Pick one of: {', '.join(project.sensitive)}, or add it in stage 1 (Problem).")
        if name not in columns:
            raise InputError(f"Sensitive attribute {name!r} is not a column of {dataset.label}.",
                             "Freeze a dataset version that keeps it (role 'sensitive' in the recipe).")
    return chosen


def _check_groups(groups: np.ndarray, sensitive: list[str], dataset) -> None:
    found = np.unique(groups)
    named = " × ".join(repr(s) for s in sensitive)
    if len(found) < 2:
        raise InputError(f"Sensitive attribute {named} has a single group ({str(found[0])!r}) in the training rows of "
                         f"{dataset.label}; mitigation compares two groups or more.",
                         "Choose another sensitive attribute, or train on data where several groups appear.")
    if len(found) > MAX_GROUPS:
        raise InputError(f"Sensitive attribute {named} has {len(found)} groups in the training rows; mitigation "
                         f"handles at most {MAX_GROUPS}.",
                         "Choose an attribute with fewer values (or fewer attributes at once), or add a banded "
                         "copy of it (such as age bands) to the data.")


def _base_run(workspace: Workspace, base: ModelVersion) -> Run:
    if base.state.is_closed:
        raise InputError(f"Model {base.label} is {base.state}; it is not mitigated.",
                         "Mitigate a candidate, validated or approved version.")
    run = training.get_run(workspace, base.run_id)
    if run.is_mitigation:
        raise InputError(f"Model {base.label} is already a mitigated candidate ({describe(run)}) of model "
                         f"#{run.mitigated_version_id}.",
                         f"Mitigate model #{run.mitigated_version_id} instead, so every candidate shares "
                         "one base.")
    return run


def _model_steps(pipeline, base: ModelVersion):
    steps = getattr(pipeline, "named_steps", {})
    if "recipe" not in steps or "model" not in steps:
        raise InputError(f"Model {base.label} is not a recipe + estimator pipeline.",
                         "Mitigate a version registered from a training run.")
    return steps["recipe"], steps["model"]


# ----------------------------------------------------------------------------- the three methods

def _sensitive_encoder(X: pd.DataFrame, sensitive: list[str]) -> Pipeline:
    categories = [sorted(set(group_labels(X[name]).tolist())) for name in sensitive]
    return Pipeline([("to_text", AsText()),
                     ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_GROUP)),
                     ("encode", OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False))])


def correlation_remover_pipeline(data: training.TrainingData, X: pd.DataFrame, estimator,
                                 sensitive: list[str], alpha: float = 1.0) -> Pipeline:
    """Unfitted: [sensitive one-hot | recipe] → CorrelationRemover(the one-hot columns) → ``estimator``.

    The one-hot categories are fixed from ``X`` (the training rows), so the sensitive columns are
    always the first ``k`` and ``CorrelationRemover`` drops exactly them after decorrelating the rest.
    """
    from fairlearn.preprocessing import CorrelationRemover

    encoder = _sensitive_encoder(X, sensitive)
    width = sum(len(c) for c in encoder.named_steps["encode"].categories)
    features = ColumnTransformer([("sensitive", encoder, list(sensitive)),
                                  ("recipe", compile_recipe(data.recipe, data.schema),
                                   list(data.recipe.input_columns))],
                                 remainder="drop", sparse_threshold=0.0)
    return Pipeline([("features", features),
                     ("decorrelate", CorrelationRemover(sensitive_feature_ids=list(range(width)), alpha=alpha)),
                     ("model", clone(estimator))])


def _fit(method: str, *, data, X: pd.DataFrame, groups: np.ndarray, base_pipeline, base: ModelVersion,
         base_run: Run, constraint: str, sensitive: list[str], eps: float, max_iter: int, alpha: float,
         progress: Progress) -> tuple[object, dict, dict]:
    """The fitted model, its cross-validated metrics (or {}) and the method's own params."""
    y = data.y_train
    if method == "threshold_optimizer":
        progress(0.3, "Learning a threshold per group on the base model's probabilities")
        model = GroupThresholdClassifier(base_pipeline, sensitive_columns=tuple(sensitive),
                                         feature_columns=tuple(data.recipe.input_columns), constraints=constraint)
        model.fit(X, y)
        return model, {}, {"cv_note": "Not cross-validated: the thresholds are learned on the base model's "
                                      "predictions for the whole training split. Judge it on the test split."}
    recipe_step, estimator = _model_steps(base_pipeline, base)
    if method == "exponentiated_gradient":
        _check_sample_weights(estimator, base)
        progress(0.3, f"Exponentiated gradient: refitting the estimator up to {max_iter} times")
        matrix = np.asarray(recipe_step.transform(X[list(data.recipe.input_columns)]), dtype=float)
        mixture = MixtureClassifier(clone(estimator), constraints=constraint, eps=eps, max_iter=max_iter)
        mixture.fit(matrix, y, sensitive_features=groups)
        model = Pipeline([("recipe", recipe_step), ("model", mixture)])
        return model, {}, {"eps": eps, "max_iter": max_iter, "estimators": len(mixture.estimators_),
                           "cv_note": "Not cross-validated: the reduction refits the estimator many times. "
                                      "Judge it on the test split."}
    progress(0.2, f"Cross-validating recipe → correlation remover → estimator ({base_run.cv_folds} folds)")
    pipeline = correlation_remover_pipeline(data, X, estimator, sensitive, alpha)
    metrics = sorted(base_run.cv_metrics) or [PRIMARY[data.task]]
    result = training.evaluate(pipeline, X, y, metrics=metrics,
                               cv=training.splitter(data.task, base_run.cv_folds, base_run.seed))
    progress(0.6, "Fitting it on the whole training split")
    pipeline.fit(X, y)
    return pipeline, result.cv_metrics, {"alpha": alpha}


def _check_sample_weights(estimator, base: ModelVersion) -> None:
    if not has_fit_parameter(estimator, "sample_weight"):
        raise InputError(f"Exponentiated gradient reweights the training rows, and the estimator of model "
                         f"{base.label} ({type(estimator).__name__}) takes no sample weights.",
                         "Use the threshold optimizer or the correlation remover, or mitigate a model of "
                         "another algorithm.")


def _extra_schema(X: pd.DataFrame, extra: list[str]) -> tuple[InputColumn, ...]:
    return registry.input_schema(SimpleNamespace(input_columns=tuple(extra)), X) if extra else ()


def create_candidate(workspace: Workspace, actor: User, base_version_id: int, *, method: str, constraint: str,
                     sensitive: list[str] | tuple[str, ...] | None = None, eps: float = 0.01, max_iter: int = 50,
                     alpha: float = 1.0, progress: Progress | None = None) -> Mitigated:
    """Mitigate model ``base_version_id`` with ``method`` under ``constraint`` for the ``sensitive``
    attributes (default: all the project's), register the result as a new candidate version."""
    require(actor, Permission.TRAIN)
    progress = progress or quiet
    check_choice(method, METHODS, "mitigation method")
    check_choice(constraint, CONSTRAINTS, "fairness constraint")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or not 1 <= max_iter <= 500:
        raise InputError(f"Max iterations {max_iter!r} is not a whole number from 1 to 500.", "Use 50.")
    if not 0 < float(eps) <= 1:
        raise InputError(f"The constraint slack eps={eps!r} is not in (0, 1].", "Use 0.01.")
    if not 0 <= float(alpha) <= 1:
        raise InputError(f"The filtering strength alpha={alpha!r} is not in [0, 1].", "Use 1 (filter fully).")
    base = registry.get_version(workspace, base_version_id)
    base_run = _base_run(workspace, base)
    progress(0.05, f"Loading the training split of model {base.label}")
    held = held_out(workspace, base, actor_name=actor.name)
    data, base_pipeline = held.data, held.pipeline
    project = data.project
    if project.task != "binary":
        raise InputError(f"Project {project.name!r} is a {project.task} task; Fairlearn's threshold optimizer, "
                         "exponentiated gradient and the trade-off's fairness metrics apply to binary "
                         "classification only.",
                         "Review fairness in the validation report instead; mitigation needs a binary target.")
    sensitive = sensitive_columns(project, data.dataset, sensitive)
    if method == "exponentiated_gradient":  # before loading anything big
        _check_sample_weights(get_algorithm(base_run.algorithm).make(project.task, base_run.params, base_run.seed),
                              base)
    extra = [c for c in sensitive if c not in data.feature_columns] if method != "exponentiated_gradient" else []
    loaded = [c for c in sensitive if c not in data.feature_columns]
    wide = training.with_input_columns(data, loaded) if loaded else data
    groups = group_keys(wide.X_train, sensitive)
    _check_groups(groups, sensitive, data.dataset)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, cv_metrics, method_params = _fit(
                method, data=wide, X=wide.X_train, groups=groups, base_pipeline=base_pipeline, base=base,
                base_run=base_run, constraint=constraint, sensitive=sensitive, eps=float(eps), max_iter=max_iter,
                alpha=float(alpha), progress=progress)
    except InputError:
        raise
    except Exception as error:  # Fairlearn's own refusals (a group without positives...) teach nothing raw
        raise InputError(f"{METHOD_LABELS[method]} failed on model {base.label}: {type(error).__name__}: {error}",
                         "Try another constraint or sensitive attribute, or check the groups' sizes in the "
                         "fairness review.") from None
    fit_seconds = time.perf_counter() - started
    progress(0.8, "Recording the run and registering the candidate")
    primary = PRIMARY[project.task]
    params = {"mitigation": method, "base_version": base.id, "base_run": base_run.id, "constraints": constraint,
              "sensitive": sensitive, "extra_inputs": extra, **method_params}
    fields = dict(project_id=project.id, dataset_id=base_run.dataset_id, split_id=base_run.split_id,
                  recipe_id=base_run.recipe_id, algorithm=method, params=params, seed=base_run.seed,
                  cv_folds=base_run.cv_folds, n_samples=len(data.y_train), primary_metric=primary,
                  library_versions={**training.library_versions(), "fairlearn": _fairlearn_version()},
                  status="finished", error=None, cv_metrics=cv_metrics,
                  primary_score=(cv_metrics.get(primary) or {}).get("mean"), fit_seconds=fit_seconds,
                  score_seconds=None)
    run = training.record_run(workspace, actor, fields, search_id=None)
    schema = (*base.input_schema, *_extra_schema(wide.X_train, extra))
    version = registry.register_pipeline(workspace, actor, project_id=project.id, run_id=run.id, pipeline=model,
                                         schema=tuple(schema), trained_by=actor.name)
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="model.mitigated", entity=f"model:{version.id}",
                         details={"base_version": base.id, "run_id": run.id, "method": method,
                                  "constraints": constraint, "sensitive": sensitive, "extra_inputs": extra})
    notes = []
    if extra:
        notes.append(f"{METHOD_LABELS[method]} needs {', '.join(map(repr, extra))} at prediction time, so "
                     f"{'it is' if len(extra) == 1 else 'they are'} added to the model's input schema (the recipe "
                     "keeps sensitive attributes out of the features).")
    if method != "correlation_remover":
        notes.append("Fairlearn's mitigator is randomized; this model predicts its expected decision "
                     "(positive when the probability is at least 0.5), so the same row always gets the same answer.")
    progress(1.0, f"Registered {version.label}")
    return Mitigated(version=version, run=run, base=base, notes=tuple(notes))


def _fairlearn_version() -> str:
    import fairlearn
    return fairlearn.__version__
