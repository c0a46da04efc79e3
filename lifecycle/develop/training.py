"""Stage 3 — training data, the one model pipeline, cross-validation and reproducible runs.

The model is always one scikit-learn ``Pipeline``: the dataset version's recipe (a
``ColumnTransformer``) followed by the estimator, so serving sees exactly what training saw.
Only the training split is ever cross-validated or fitted here; validation and test rows are
kept for stage 4.
"""
from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import resample

from lifecycle.problem import metrics as metric_lib
from lifecycle.auth import Permission, require
from lifecycle.develop.catalogue import Algorithm, get_algorithm
from lifecycle.data.datasets import get_dataset, load_frame
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.objectives import CATALOGUE as METRICS
from lifecycle.data.preparation import get_recipe, recipe_of, split_assignment
from lifecycle.problem.projects import get_project
from lifecycle.problem.projects import objectives as project_objectives
from lifecycle.data.recipe.compiler import Recipe, compile_recipe
from lifecycle.records import DatasetVersion, Project, RecipeVersion, Split, User
from lifecycle.records import Run
from lifecycle.store import audit_log
from lifecycle.store import preparation as preparation_store
from lifecycle.store import runs as run_store
from lifecycle.workspace import Workspace

MAX_FOLDS = 20
ERROR_LENGTH = 600


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainingData:
    """The rows of one dataset version, split by its recorded split, ready for the pipeline.

    ``frame`` holds every column of the version as loaded, once, by :func:`training_frames`
    (same index as the ``X_*`` frames): later steps of the same operation select columns from
    it (:meth:`columns`) instead of loading the version again."""

    project: Project
    dataset: DatasetVersion
    split: Split
    recipe_version: RecipeVersion
    recipe: Recipe
    X_train: pd.DataFrame
    y_train: pd.Series
    X_validation: pd.DataFrame
    y_validation: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    feature_columns: tuple[str, ...]
    positive_class: str | None
    positive_class_inferred: bool
    frame: pd.DataFrame = field(repr=False)

    def columns(self, names: list[str] | tuple[str, ...], rows: pd.Index | None = None) -> pd.DataFrame:
        """Columns ``names`` of the dataset version for ``rows`` (an index of ``frame``; all rows
        when None), from the frame already loaded. Raises InputError for a column the version
        lacks."""
        names = list(names)
        missing = [c for c in names if c not in self.frame.columns]
        if missing:
            raise InputError(f"Column {missing[0]!r} is not in {self.dataset.label}.",
                             f"Pick one of: {', '.join(map(str, self.frame.columns))}.")
        return self.frame.loc[:, names] if rows is None else self.frame.loc[rows, names]

    @property
    def task(self) -> str:
        return self.project.task

    @property
    def schema(self):
        return self.dataset.columns

    @property
    def recipe_id(self) -> int:
        return self.recipe_version.id


def _as_project(workspace: Workspace, project: Project | int) -> Project:
    return project if isinstance(project, Project) else get_project(workspace, int(project))


def _check_target(y: pd.Series, project: Project, dataset: DatasetVersion) -> tuple[str | None, bool]:
    target = project.target
    missing = int(y.isna().sum())
    if missing:
        raise InputError(f"The target {target!r} is empty in {missing:,} of {len(y):,} rows of {dataset.label}.",
                         f"Add the row filter '{target} not_null' to the recipe in the Data stage, freeze a "
                         "new version and split it.")
    if project.task == "regression":
        numeric = pd.to_numeric(y, errors="coerce")
        if numeric.isna().any():
            example = y[numeric.isna()].iloc[0]
            raise InputError(f"The target {target!r} holds text such as {example!r}, but project "
                             f"{project.name!r} is a regression task.",
                             "Change the task to binary or multiclass in stage 1, or pick a numeric target.")
        return None, False
    classes = y.astype(str).nunique()
    if project.task == "binary" and classes != 2:
        raise InputError(f"Project {project.name!r} is binary but its target {target!r} has {classes} "
                         f"class(es) in {dataset.label}.",
                         "Change the task to multiclass, or filter the rows to two classes in the recipe.")
    if classes < 2:
        raise InputError(f"The target {target!r} has a single class in {dataset.label}.",
                         "A model cannot learn from a constant; check the recipe's row filters.")
    if project.task == "binary":
        return metric_lib.positive_class_for(y, project.positive_class)
    return None, False


def training_frames(workspace: Workspace, project: Project | int, dataset_id: int, split_id: int) -> TrainingData:
    """Train / validation / test frames of a frozen dataset version, by its recorded split.

    The version is loaded once; the split is recomputed from that same frame."""
    project = _as_project(workspace, project)
    dataset = get_dataset(workspace, dataset_id)
    if dataset.project_id != project.id:
        raise InputError(f"Dataset {dataset.label} belongs to another project.", "Pick one of this project's datasets.")
    if dataset.auxiliary:
        raise InputError(f"{dataset.label} is an auxiliary table without the target.",
                         "Train on a primary dataset version.")
    if dataset.lineage.recipe_id is None:
        raise InputError(f"Dataset {dataset.label} has no recipe: it was ingested, not frozen from a recipe.",
                         "In the Data stage, save a recipe, freeze a version with it, split that version, "
                         "and train on the frozen version.")
    split = preparation_store.get_split(workspace.db.cursor(), split_id)
    if split is None:
        raise NotFound(f"No split with id {split_id}.", f"Create a split of {dataset.label} in the Data stage.")
    if split.dataset_id != dataset.id:
        raise InputError(f"Split #{split.id} belongs to dataset #{split.dataset_id}, not {dataset.label}.",
                         "Pick a split of the dataset version you train on.")
    recipe_version = get_recipe(workspace, dataset.lineage.recipe_id)
    recipe = recipe_of(recipe_version)
    frame = load_frame(workspace, dataset)
    if project.target not in frame:
        raise InputError(f"The target {project.target!r} is not in {dataset.label}.",
                         "Fix the project's target in stage 1 or train on another dataset.")
    positive, inferred = _check_target(frame[project.target], project, dataset)
    assignment = split_assignment(workspace, split, frame=frame).to_numpy()
    y_all = metric_lib.encode_target(frame[project.target], project.task, positive)
    features = tuple(recipe.input_columns)
    missing = [c for c in features if c not in frame]
    if missing:
        raise InputError(f"Recipe {recipe_version.name} v{recipe_version.version} uses column {missing[0]!r}, "
                         f"which is not in {dataset.label}.", "Edit the recipe and freeze a new version.")
    X_all = frame[list(features)]
    parts = {}
    for part in ("train", "validation", "test"):
        mask = assignment == part
        parts[part] = (X_all[mask], y_all[mask])
    if len(parts["train"][0]) == 0:
        raise InputError(f"Split #{split.id} leaves no training rows.", "Create a split with smaller test and "
                         "validation shares.")
    return TrainingData(project=project, dataset=dataset, split=split, recipe_version=recipe_version, recipe=recipe,
                        X_train=parts["train"][0], y_train=parts["train"][1],
                        X_validation=parts["validation"][0], y_validation=parts["validation"][1],
                        X_test=parts["test"][0], y_test=parts["test"][1], feature_columns=features,
                        positive_class=positive, positive_class_inferred=inferred, frame=frame)


def build_pipeline(recipe: Recipe, schema: Any, algorithm: str | Algorithm, task: str,
                   params: Mapping[str, Any] | None = None, seed: int = 0) -> Pipeline:
    """``Pipeline([("recipe", compiled ColumnTransformer), ("model", estimator)])``, unfitted."""
    estimator = get_algorithm(algorithm).make(task, params, seed)
    return Pipeline([("recipe", compile_recipe(recipe, schema)), ("model", estimator)])


# ----------------------------------------------------------------------------- cross-validation

def splitter(task: str, folds: int, seed: int) -> KFold | StratifiedKFold:
    """The CV splitter of every run: shuffled, seeded, stratified for classes."""
    cls = KFold if task == "regression" else StratifiedKFold
    return cls(n_splits=folds, shuffle=True, random_state=seed)


def check_folds(data: TrainingData, folds: int) -> None:
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= MAX_FOLDS:
        raise InputError(f"Cross-validation folds {folds!r} is not a whole number from 2 to {MAX_FOLDS}.",
                         "Use 5 folds (or 3 on small data).")
    rows = len(data.y_train)
    if rows < 2 * folds:
        raise InputError(f"The training split of {data.dataset.label} has {rows} rows, too few for {folds}-fold "
                         "cross-validation.", "Use fewer folds or a dataset with more rows.")
    if data.task == "regression":
        return
    counts = data.y_train.value_counts()
    if len(counts) < 2:
        raise InputError(f"The training split of {data.dataset.label} holds a single class.",
                         "Create a stratified split so every class reaches the training rows.")
    label, count = counts.idxmin(), int(counts.min())
    if data.task == "binary":
        label = data.positive_class if label == 1 else f"not {data.positive_class}"
    if count < folds:
        members = "one member" if count == 1 else f"only {count} members"
        fix = (f"Merge or filter out rare classes in the recipe and freeze a new version"
               + (f", or use at most {count} folds." if count >= 2 else "."))
        raise InputError(f"Class {label!r} of target {data.project.target!r} has {members} in the training "
                         f"split; {folds}-fold stratified cross-validation needs at least {folds} per class.", fix)


def run_metrics(workspace: Workspace, project: Project) -> list[str]:
    """The task's primary metric and every performance objective of the project, sorted."""
    found = project_objectives(workspace, project.id)
    chosen = {metric_lib.PRIMARY[project.task]}
    for objective in (found.objectives if found else ()):
        spec = METRICS.get(objective.metric)
        if spec is not None and spec.kind == "performance" and project.task in spec.tasks:
            chosen.add(objective.metric)
    return sorted(chosen)


def subsample(X: pd.DataFrame, y: pd.Series, n_samples: int, seed: int, task: str) -> tuple[pd.DataFrame, pd.Series]:
    """``n_samples`` training rows (stratified for classes), in their original order."""
    if n_samples >= len(y):
        return X, y
    positions = resample(np.arange(len(y)), replace=False, n_samples=n_samples, random_state=seed,
                         stratify=None if task == "regression" else y.to_numpy())
    positions = np.sort(positions)
    return X.iloc[positions], y.iloc[positions]


def _plain(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    cv_metrics: dict[str, dict[str, Any]]
    fit_seconds: float
    score_seconds: float


def evaluate(pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, *, metrics: list[str], cv) -> Evaluation:
    """Cross-validate; metric values in metric units (error metrics positive). Raises on failure."""
    scores = cross_validate(pipeline, X, y, cv=cv, scoring=metric_lib.scorers_for(metrics),
                            error_score="raise", return_train_score=False)
    cv_metrics = {}
    for metric in metrics:
        folds = np.array([metric_lib.to_metric(metric, s) for s in scores[f"test_{metric}"]], dtype=float)
        cv_metrics[metric] = {"mean": _plain(np.mean(folds)), "std": _plain(np.std(folds)),
                              "folds": [_plain(v) for v in folds]}
    return Evaluation(cv_metrics=cv_metrics, fit_seconds=float(np.sum(scores["fit_time"])),
                      score_seconds=float(np.sum(scores["score_time"])))


def describe_error(error: BaseException, params: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "default parameters"
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return f"Training failed with {shown}: {text}"[:ERROR_LENGTH]


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    import scipy
    import sklearn

    import lifecycle
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "scipy": scipy.__version__, "lifecycle": lifecycle.__version__}


def python_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Sampled values as plain Python (numpy scalars -> int/float), exactly as they are stored."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}


def trial(data: TrainingData, *, algorithm: Algorithm, params: dict[str, Any], seed: int, folds: int,
          metrics: list[str], n_samples: int | None = None) -> dict[str, Any]:
    """Cross-validate one candidate; the fields of a run record (status finished or failed)."""
    n_samples = len(data.y_train) if n_samples is None else min(n_samples, len(data.y_train))
    X, y = subsample(data.X_train, data.y_train, n_samples, seed, data.task)
    primary = metric_lib.PRIMARY[data.task]
    fields = dict(project_id=data.project.id, dataset_id=data.dataset.id, split_id=data.split.id,
                  recipe_id=data.recipe_id, algorithm=algorithm.name, params=params, seed=seed, cv_folds=folds,
                  n_samples=n_samples, primary_metric=primary, library_versions=library_versions())
    try:
        pipeline = build_pipeline(data.recipe, data.schema, algorithm, data.task, params, seed)
        result = evaluate(pipeline, X, y, metrics=metrics, cv=splitter(data.task, folds, seed))
    except Exception as error:  # a failing candidate is a failed run on record, never a lost one
        return {**fields, "status": "failed", "error": describe_error(error, params), "cv_metrics": {},
                "primary_score": None, "fit_seconds": None, "score_seconds": None}
    return {**fields, "status": "finished", "error": None, "cv_metrics": result.cv_metrics,
            "primary_score": result.cv_metrics[primary]["mean"], "fit_seconds": result.fit_seconds,
            "score_seconds": result.score_seconds}


def record_run(workspace: Workspace, actor: User, fields: dict[str, Any], *, search_id: int | None,
               halving_round: int | None = None, rerun_of: int | None = None) -> Run:
    """Store one run. A search trial is one INSERT, atomic on its own (its search's audit events
    bracket it); a rerun also writes its audit event, in the same transaction. Raises PermissionDenied
    unless ``actor`` may train (``Permission.TRAIN``)."""
    require(actor, Permission.TRAIN)
    values = dict(fields, search_id=search_id, halving_round=halving_round, rerun_of=rerun_of,
                  created_by=actor.name)
    if rerun_of is None:
        return run_store.insert_run(workspace.db.cursor(), **values)
    with workspace.db.transaction() as cursor:
        run = run_store.insert_run(cursor, **values)
        audit_log.append(cursor, actor=actor.name, action="run.rerun", entity=f"run:{run.id}",
                         details={"rerun_of": rerun_of, "status": run.status, "primary_score": run.primary_score})
    return run


# ----------------------------------------------------------------------------- runs on record

def get_run(workspace: Workspace, run_id: int) -> Run:
    """The run record with this id. Raises NotFound."""
    run = run_store.get_run(workspace.db.cursor(), run_id)
    if run is None:
        raise NotFound(f"No run with id {run_id}.", "Pick a run from the leaderboard.")
    return run


def data_for_run(workspace: Workspace, run: Run, *, loaded: TrainingData | None = None) -> TrainingData:
    """The frames ``run`` was trained on (with a mitigated run's extra input columns).

    ``loaded``: frames of the same dataset version and split already loaded in this operation;
    reused instead of loading the version again (ignored when they are another version's)."""
    same = (loaded is not None and loaded.dataset.id == run.dataset_id and loaded.split.id == run.split_id
            and loaded.project.id == run.project_id)
    data = loaded if same else training_frames(workspace, run.project_id, run.dataset_id, run.split_id)
    if data.recipe_id != run.recipe_id:
        raise InputError(f"Run #{run.id} used recipe #{run.recipe_id}, but {data.dataset.label} now points at "
                         f"recipe #{data.recipe_id}.", "Train a new run on this dataset version.")
    extra = [c for c in (run.params.get("extra_inputs") or ()) if c not in data.feature_columns]
    return with_input_columns(data, extra) if run.is_mitigation and extra else data


def with_input_columns(data: TrainingData, columns: list[str]) -> TrainingData:
    """``data`` whose frames also carry ``columns`` of its dataset version, row by row (taken from the
    frame already loaded): a fairness-mitigated model reads the sensitive attribute at prediction time
    even when the recipe does not feed it. Raises InputError for a column the version lacks."""
    import dataclasses

    frame = data.columns(columns)

    def widen(X: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([X, frame.loc[X.index]], axis=1)

    return dataclasses.replace(data, X_train=widen(data.X_train), X_validation=widen(data.X_validation),
                               X_test=widen(data.X_test), feature_columns=(*data.feature_columns, *columns))


def rerun(workspace: Workspace, actor: User, run_id: int) -> Run:
    """Reproduce a run from its record (data, split, recipe, params, seed, folds, rows); a new run."""
    require(actor, Permission.TRAIN)
    original = get_run(workspace, run_id)
    if original.is_imported:
        source = original.params.get("imported_from", "a skops file")
        raise InputError(f"Run #{original.id} records a model imported from a file ({source!r}); Lifecycle holds "
                         "no training code for it, so it cannot be re-run.",
                         "Train a model of your own on the Develop page (or `python -m lifecycle train`), or import "
                         "a newer file with `model import`.")
    if original.is_mitigation:
        raise InputError(f"Run #{original.id} is a fairness mitigation ({original.algorithm}) of model "
                         f"#{original.mitigated_version_id}, not a trained search trial; it is not re-run.",
                         "Create a new mitigated candidate from the base model on the Validate page (Fairness), "
                         "or with `python -m lifecycle mitigate`.")
    data = data_for_run(workspace, original)
    metrics = sorted(original.cv_metrics) or run_metrics(workspace, data.project)
    fields = trial(data, algorithm=get_algorithm(original.algorithm), params=dict(original.params),
                   seed=original.seed, folds=original.cv_folds, metrics=metrics, n_samples=original.n_samples)
    return record_run(workspace, actor, fields, search_id=None, halving_round=original.halving_round,
                      rerun_of=original.id)


def fit_run_pipeline(workspace: Workspace, run_id: int) -> tuple[Pipeline, TrainingData]:
    """The run's pipeline fitted on every training row of its split (for registering a model)."""
    run = get_run(workspace, run_id)
    if not run.ok:
        raise InputError(f"Run #{run.id} {run.status}; only a finished run can be fitted.",
                         "Pick a finished run from the leaderboard.")
    data = data_for_run(workspace, run)
    pipeline = build_pipeline(data.recipe, data.schema, run.algorithm, data.task, run.params, run.seed)
    try:
        pipeline.fit(data.X_train, data.y_train)
    except Exception as error:  # the whole split can fail where every fold fitted (a value beyond float range)
        raise InputError(f"Run #{run.id}'s pipeline could not be fitted on all {len(data.y_train):,} training rows "
                         f"of {data.dataset.label}: {describe_error(error, run.params)}",
                         "Look for numbers too large for arithmetic or columns the recipe should drop or clip "
                         "(Data stage), or register another run.") from None
    return pipeline, data
