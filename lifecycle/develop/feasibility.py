"""Stage 1 feasibility: is there enough data, how balanced is it, and do the objectives look reachable?

A naive baseline (scikit-learn's Dummy estimators) and a quick default model (histogram gradient
boosting on the default recipe) are cross-validated on a sample, scored with scikit-learn.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from lifecycle.problem import metrics as metric_lib
from lifecycle.data.datasets import get_dataset, list_datasets, load_frame
from lifecycle.errors import InputError, shown
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.problem.projects import objectives as project_objectives
from lifecycle.problem.target import check_target_column
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle import evidence
from lifecycle.dataclass_json import from_jsonable, to_jsonable
from lifecycle.records import Project, ProjectEvidence, User
from lifecycle.workspace import Workspace

SAMPLE_ROWS = 5000
FOLDS = 3
MIN_ROWS = 100
MIN_PER_CLASS = 20
BORDERLINE = 0.02  # within this of the threshold (relative for error metrics) is "borderline"


@dataclass(frozen=True, kw_only=True)
class ObjectiveCheck:
    objective: str
    metric: str
    baseline: float | None
    quick_model: float | None
    quick_model_std: float | None
    verdict: str  # reachable, borderline, out of reach, judged later
    explanation: str


@dataclass(frozen=True, kw_only=True)
class FeasibilityReport:
    dataset_id: int
    dataset_label: str
    rows: int
    features: int
    sample_rows: int
    class_counts: dict[str, int]
    positive_class: str | None
    positive_class_inferred: bool
    checks: tuple[ObjectiveCheck, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)


def _pick_dataset(workspace: Workspace, project: Project, dataset_id: int | None):
    if dataset_id is not None:
        dataset = get_dataset(workspace, dataset_id)
        if dataset.project_id != project.id:
            raise InputError(f"Dataset #{dataset_id} belongs to another project.", "Pick one of this project's datasets.")
        return dataset
    primary = [d for d in list_datasets(workspace, project.id) if not d.auxiliary]
    if not primary:
        raise InputError(f"Project {project.name!r} has no dataset yet.",
                         "Ingest one in stage 2 (Data), then run the feasibility check.")
    return primary[-1]


def _sample(frame: pd.DataFrame, y: pd.Series, task: str, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    if len(frame) <= SAMPLE_ROWS:
        return frame, y
    if task == "regression":
        index = frame.sample(SAMPLE_ROWS, random_state=seed).index
    else:  # keep every class present in proportion
        index = (y.groupby(y, group_keys=False)
                  .apply(lambda g: g.sample(max(1, round(len(g) * SAMPLE_ROWS / len(y))), random_state=seed))
                  .index)
    return frame.loc[index], y.loc[index]


def _verdict(metric: str, comparator: str, threshold: float, value: float) -> str:
    met = value >= threshold if comparator == ">=" else value <= threshold
    if met:
        return "reachable"
    gap = abs(value - threshold) / (abs(threshold) if CATALOGUE[metric].high == np.inf and threshold else 1.0)
    return "borderline" if gap <= BORDERLINE else "out of reach"


def check_feasibility(workspace: Workspace, project: Project, *, dataset_id: int | None = None,
                      seed: int = 0) -> FeasibilityReport:
    """Stage 1's check on the project's newest primary dataset (or ``dataset_id``): volume, class balance, and
    each performance objective against a naive baseline (scikit-learn's Dummy) and a quick
    HistGradientBoosting model on the default recipe, both cross-validated (``FOLDS``) on at most
    ``SAMPLE_ROWS`` rows. Computes, stores nothing (see ``check_and_record``). Raises InputError for a
    project without data or a binary target without two classes, NotFound for a missing dataset."""
    dataset = _pick_dataset(workspace, project, dataset_id)
    check_target_column(project.target, dataset.column_names, dataset.label, project=project.name)
    frame = load_frame(workspace, dataset)
    warnings: list[str] = []
    target = frame[project.target]
    missing_target = int(target.isna().sum())
    if missing_target:
        warnings.append(f"{missing_target:,} rows have no target value; they are left out of this check.")
        frame, target = frame[target.notna()], target[target.notna()]
    positive, inferred = (None, False)
    if project.task == "binary":
        positive, inferred = metric_lib.positive_class_for(target, project.positive_class)
        if inferred:
            warnings.append(f"No positive class is set; the rarer class {shown(positive)} was assumed. "
                            "Set it in the project to make it explicit.")
        if target.nunique() != 2:
            raise InputError(f"Project {project.name!r} is binary but its target has {target.nunique()} classes.",
                             "Change the task to multiclass, or filter the rows to two classes in the recipe.")
    class_counts = ({str(k): int(v) for k, v in target.astype(str).value_counts().items()}
                    if project.task != "regression" else {})
    recipe = default_recipe(frame, target=project.target, sensitive=tuple(project.sensitive))
    features = [s.column for s in recipe.steps if s.role == "feature"]
    if len(frame) < MIN_ROWS:
        warnings.append(f"Only {len(frame):,} rows: estimates below are very uncertain; "
                        f"collect at least {MIN_ROWS:,}.")
    if class_counts and min(class_counts.values()) < MIN_PER_CLASS:
        rare = min(class_counts, key=class_counts.get)
        warnings.append(f"Class {rare!r} has only {class_counts[rare]} rows; a model will struggle to learn it. "
                        f"Collect more examples (at least {MIN_PER_CLASS}).")
    y = metric_lib.encode_target(target, project.task, positive)
    x_sample, y_sample = _sample(frame, y, project.task, seed)
    objective_set = project_objectives(workspace, project.id)
    performance = [o for o in (objective_set.objectives if objective_set else ()) if CATALOGUE[o.metric].kind == "performance"]
    measured = sorted({o.metric for o in performance} | {metric_lib.PRIMARY[project.task]})
    smallest_class = min(pd.Series(y_sample).value_counts()) if project.task != "regression" else len(y_sample)
    folds = max(2, min(FOLDS, int(smallest_class)))
    splitter = (KFold(folds, shuffle=True, random_state=seed) if project.task == "regression"
                else StratifiedKFold(folds, shuffle=True, random_state=seed))
    scoring = metric_lib.scorers_for(measured)
    baseline_model = DummyRegressor() if project.task == "regression" else DummyClassifier(strategy="prior")
    quick = (HistGradientBoostingRegressor(random_state=seed) if project.task == "regression"
             else HistGradientBoostingClassifier(random_state=seed))
    results = {}
    for label, estimator in (("baseline", baseline_model), ("quick", quick)):
        pipeline = Pipeline([("recipe", compile_recipe(recipe, frame)), ("model", estimator)])
        scores = cross_validate(pipeline, x_sample, y_sample, cv=splitter, scoring=scoring, error_score=np.nan)
        results[label] = {m: [metric_lib.to_metric(m, s) for s in scores[f"test_{m}"]] for m in measured}
    checks = []
    for metric in measured:
        baseline = float(np.nanmean(results["baseline"][metric]))
        quick_values = results["quick"][metric]
        quick_mean, quick_std = float(np.nanmean(quick_values)), float(np.nanstd(quick_values))
        matching = [o for o in performance if o.metric == metric]
        if matching:
            objective = matching[0]
            verdict = _verdict(metric, objective.comparator, objective.threshold, quick_mean)
            explanation = (f"A default model reaches {quick_mean:.3f} ± {quick_std:.3f} against the target "
                           f"{objective}; the naive baseline scores {baseline:.3f}.")
            name = str(objective)
        else:
            verdict, name = "reference", metric
            explanation = f"Not an objective; shown for reference (baseline {baseline:.3f})."
        checks.append(ObjectiveCheck(objective=name, metric=metric, baseline=baseline, quick_model=quick_mean,
                                     quick_model_std=quick_std, verdict=verdict, explanation=explanation))
    for objective in (objective_set.objectives if objective_set else ()):
        if CATALOGUE[objective.metric].kind != "performance":
            checks.append(ObjectiveCheck(objective=str(objective), metric=objective.metric, baseline=None,
                                         quick_model=None, quick_model_std=None, verdict="judged later",
                                         explanation=f"A {CATALOGUE[objective.metric].kind} objective is "
                                                     "judged in Validate and Monitor."))
    return FeasibilityReport(dataset_id=dataset.id, dataset_label=dataset.label, rows=len(frame),
                             features=len(features), sample_rows=len(x_sample), class_counts=class_counts,
                             positive_class=positive, positive_class_inferred=inferred,
                             checks=tuple(checks), warnings=tuple(warnings))


def evidence_key(workspace: Workspace, project: Project, *, dataset_id: int | None = None, seed: int = 0) -> str:
    """What a feasibility check is computed from: the dataset's content, the project's framing,
    the objectives version, the seed and the sample settings. The same key means the same report."""
    dataset = _pick_dataset(workspace, project, dataset_id)
    objective_set = project_objectives(workspace, project.id)
    return evidence.cache_key(dataset=dataset.content_hash, task=project.task, target=project.target,
                              positive_class=project.positive_class, sensitive=list(project.sensitive),
                              objectives=objective_set.version if objective_set else None, seed=seed,
                              sample_rows=SAMPLE_ROWS, folds=FOLDS)


def check_and_record(workspace: Workspace, actor: User, project: Project, *, dataset_id: int | None = None,
                     seed: int = 0) -> tuple[FeasibilityReport, bool]:
    """Run the feasibility check and store it as evidence of stage 1 (with an audit event), or
    read it back when the same check (same ``evidence_key``) is on record.

    Returns the report and whether it came from the store. Raises InputError/NotFound as
    ``check_feasibility`` does, and PermissionDenied for a disabled user.
    """
    key = evidence_key(workspace, project, dataset_id=dataset_id, seed=seed)

    def compute() -> tuple[str, dict]:
        report = check_feasibility(workspace, project, dataset_id=dataset_id, seed=seed)
        return summary_text(report).splitlines()[0], to_jsonable(report)

    stored, from_store = evidence.get_or_compute_for_project(workspace, actor, project.id, "feasibility", key, compute)
    return from_jsonable(FeasibilityReport, stored.payload), from_store


def latest_report(workspace: Workspace, project: Project) -> tuple[FeasibilityReport, ProjectEvidence] | None:
    """The project's newest stored feasibility check and its evidence record (who, when), or None."""
    stored = evidence.latest_for_project(workspace, project.id, "feasibility")
    return None if stored is None else (from_jsonable(FeasibilityReport, stored.payload), stored)


def summary_text(report: FeasibilityReport) -> str:
    lines = [f"Feasibility on {report.dataset_label}: {report.rows:,} rows, {report.features} features "
             f"(models cross-validated on {report.sample_rows:,} rows)"]
    if report.class_counts:
        total = sum(report.class_counts.values())
        lines.append("  classes: " + ", ".join(f"{k} {v:,} ({v / total:.1%})" for k, v in report.class_counts.items()))
    lines += [f"  [{c.verdict}] {c.objective}: {c.explanation}" for c in report.checks]
    lines += [f"  warning: {w}" for w in report.warnings]
    return "\n".join(lines)
