"""Stage 4 — Validate: one report on a fitted pipeline's held-out behaviour, and a verdict
on every stage-1 objective.

:func:`evaluate` computes everything once — metrics with bootstrap intervals, curves,
threshold analysis, overfitting, robustness, slices, weakest cohorts, latency, fairness and
the verdicts — and returns a frozen :class:`ValidationReport` that pages and the registry
only read (``to_dict`` / ``from_dict`` store it as JSON). The pieces live in
``validation_metrics``, ``validation_curves``, ``validation_threshold``,
``validation_robustness``, ``validation_slices`` and ``validation_fairness``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import fairlearn
import numpy as np
import pandas as pd
import sklearn

from lifecycle.dataclass_json import from_jsonable, to_jsonable
from lifecycle.errors import InputError
from lifecycle.validate.fairness import review_decisions
from lifecycle.validate.fairness_review import FairnessReport
from lifecycle.problem.metrics import PRIMARY
from lifecycle.problem.objectives import CATALOGUE, is_met
from lifecycle.records import TASKS, Objective
from lifecycle.records.models import JUDGED_KINDS, is_blocking_failure
from lifecycle.validate.curves import (CalibrationCurve, ClassMetrics, ConfusionMatrix, Curve,
                                         Residuals, calibration, confusion, per_class,
                                         precision_recall, residuals, roc)
from lifecycle.validate.fairness_metrics import (LATENCY_ROWS, FairnessResult, Latency, fairness,
                                           measure_latency, worst)
from lifecycle.validate.metrics import (MetricEstimate, compute_metric, estimate_metrics,
                                          metric_names, predict_all, predict_for)
from lifecycle.validate.robustness import (Overfitting, RobustnessCheck, feature_kinds,
                                             overfitting, robustness)
from lifecycle.validate.slices import (MIN_SLICE, SliceMetrics, WeakestCohorts, slice_metrics,
                                        weakest_cohorts)
from lifecycle.validate.verdicts import Status
from lifecycle.validate.threshold import (ThresholdAnalysis, analyse_thresholds,
                                            validate_cost_matrix)

__all__ = ["MIN_SLICE", "Evaluated", "MetricEstimate", "ObjectiveVerdict", "ValidationReport", "evaluate",
           "evaluate_with_review", "judge"]

STATUSES = (Status.PASS, Status.FAIL, Status.NOT_JUDGED)
FORMAT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class ObjectiveVerdict:
    """One objective judged: ``value`` with its interval (performance only) and why."""

    objective: str  # "roc_auc >= 0.85"
    metric: str
    kind: str  # performance, fairness, latency, drift
    comparator: str
    threshold: float
    blocking: bool
    value: float | None
    low: float | None
    high: float | None
    status: Status  # pass, fail or not judged
    reason: str


@dataclass(frozen=True, kw_only=True)
class ValidationReport:
    """Everything Stage 4 shows about one model on its test rows; computed by
    :func:`evaluate`, then read-only. Binary: class 1 is the positive class."""

    task: str
    primary_metric: str
    n_train: int
    n_test: int
    seed: int
    n_bootstrap: int
    classes: tuple[str, ...]
    metrics: dict[str, MetricEstimate]
    decision_threshold: float | None  # binary: the threshold decisions use (None: predict)
    confusion: ConfusionMatrix | None
    roc: Curve | None
    precision_recall: Curve | None
    calibration: CalibrationCurve | None
    per_class: tuple[ClassMetrics, ...]
    residuals: Residuals | None
    thresholds: ThresholdAnalysis | None
    overfitting: Overfitting
    robustness: tuple[RobustnessCheck, ...]
    slices: tuple[SliceMetrics, ...]
    weakest_cohorts: WeakestCohorts
    latency: Latency
    # Legacy, kept so stored reports keep their shape and old ones stay readable: each attribute
    # with every group compared (Fairlearn's values), computed through the review's own code
    # (fairness_review.all_groups). The verdict reads it only when the review cannot be computed
    # (e.g. a column with more than 50 groups).
    fairness: tuple[FairnessResult, ...]
    verdicts: tuple[ObjectiveVerdict, ...]
    notes: tuple[str, ...] = ()
    versions: dict[str, str] | None = None
    format_version: int = FORMAT_VERSION
    class_counts: dict[str, int] | None = None  # test rows per class (binary: "1" is positive)

    @property
    def positives(self) -> int | None:
        """Binary: how many test rows are positive (None for other tasks and older reports)."""
        if self.task != "binary" or self.class_counts is None:
            return None
        return self.class_counts.get("1", 0)

    @property
    def class_count_text(self) -> str:
        """The test rows by class in words: "1 positive and 39 negative of 40 test rows"."""
        if self.class_counts is None:
            return f"{self.n_test:,} test rows"
        if self.task == "binary":
            positives = self.positives
            return (f"{positives:,} positive and {self.n_test - positives:,} negative of "
                    f"{self.n_test:,} test rows")
        return ", ".join(f"{n:,} {c!r}" for c, n in self.class_counts.items()) + f" of {self.n_test:,} test rows"

    @property
    def passed(self) -> bool:
        """True when every blocking performance, fairness and latency objective passes."""
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> tuple[ObjectiveVerdict, ...]:
        return tuple(v for v in self.verdicts
                     if is_blocking_failure(blocking=v.blocking, kind=v.kind, status=v.status))

    @property
    def summary(self) -> str:
        """One line for the audit trail: how many blocking objectives pass, which fail."""
        judged = [v for v in self.verdicts if v.blocking and v.kind in JUDGED_KINDS]
        if not judged:
            return "No blocking objective to judge."
        failures = self.blocking_failures
        text = f"{len(judged) - len(failures)} of {len(judged)} blocking objectives pass"
        if failures:
            text += "; failing: " + "; ".join(
                f"{v.objective} (value {_fmt(v.value)})" for v in failures)
        return text + "."

    def to_dict(self) -> dict:
        """JSON-safe: lists for tuples, None for any undefined number (never NaN)."""
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict) -> ValidationReport:
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise InputError("This stored validation report is in an unknown format.",
                             "Validate the model version again.")
        return from_jsonable(cls, data)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


_OPPOSITE = {">=": "<", "<=": ">"}


def judge(objective: Objective, *, task: str, metrics: dict[str, MetricEstimate],
          fairness_results: tuple[FairnessResult, ...], latency: Latency,
          fairness_review: FairnessReport | None = None) -> ObjectiveVerdict:
    """Judge one objective; a number that cannot be computed fails, with the reason.

    Fairness objectives are judged on ``fairness_review`` when given — the worst grouping,
    intersections included, small groups left out, with its bootstrap interval: the numbers
    the Fairness panel shows — else on the Fairlearn values of ``fairness_results``."""
    spec = CATALOGUE.get(objective.metric)
    base = dict(objective=str(objective), metric=objective.metric,
                comparator=objective.comparator, threshold=float(objective.threshold),
                blocking=objective.blocking)
    if spec is None:
        return ObjectiveVerdict(**base, kind="unknown", value=None, low=None, high=None,
                                status=Status.FAIL, reason=f"Unknown metric {objective.metric!r}.")
    if spec.kind == "drift":
        return ObjectiveVerdict(**base, kind="drift", value=None, low=None, high=None,
                                status=Status.NOT_JUDGED, reason="Judged in Monitor, on live data.")
    low = high = None
    context = ""
    if task not in spec.tasks:
        value, why = None, f"{spec.label} does not apply to a {task} task."
    elif spec.kind == "performance":
        estimate = metrics.get(objective.metric)
        value, why = (None, "not computed") if estimate is None else (estimate.value,
                                                                      estimate.note)
        if estimate is not None:
            low, high = estimate.low, estimate.high
    elif spec.kind == "fairness" and fairness_review is not None:
        found = fairness_review.worst(objective.metric)
        if found is None:
            value, why = None, ("no grouping of the sensitive attributes has two groups of at least "
                                f"{fairness_review.min_group_size} test rows to compare")
        else:
            disparity, grouping = found
            value, low, high, why = disparity.value, disparity.low, disparity.high, ""
            context = f" (worst grouping: {grouping})"
    elif spec.kind == "fairness":
        value, attribute = worst(fairness_results, objective.metric)
        why, context = (attribute, "") if value is None else ("", f" (worst attribute: "
                                                                  f"{attribute})")
    else:  # latency
        value = latency.p95_ms if objective.metric == "latency_p95_ms" else latency.p50_ms
        why = "" if value is not None else "No test row could be timed."
        context = f" over {latency.rows_timed} single-row {latency.method} calls"
    if value is None:
        return ObjectiveVerdict(**base, kind=spec.kind, value=None, low=None, high=None,
                                status=Status.FAIL, reason=f"Cannot be computed, so it cannot pass: "
                                                           f"{why}".strip())
    met = is_met(objective, value)
    shown = objective.comparator if met else _OPPOSITE[objective.comparator]
    reason = f"{_fmt(value)}{context} {shown} {objective.threshold:g}"
    if low is not None and high is not None:
        reason += f" (95% interval {_fmt(low)} to {_fmt(high)})"
        if not (is_met(objective, low) and is_met(objective, high)) and \
                (is_met(objective, low) or is_met(objective, high)):
            reason += "; the interval straddles the threshold, so the result is uncertain"
    unreliable = getattr(metrics.get(objective.metric), "unreliable", "") if spec.kind == "performance" else ""
    if unreliable:
        reason += f"; {unreliable[0].lower()}{unreliable[1:].rstrip('.')}"
    return ObjectiveVerdict(**base, kind=spec.kind, value=value, low=low, high=high,
                            status=Status.PASS if met else Status.FAIL, reason=reason + ".")


def _check_inputs(task, X_train, y_train, X_test, y_test, objectives, n_bootstrap,
                  overfit_threshold, threshold, cost_matrix):
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}.", f"Use one of: {', '.join(TASKS)}.")
    for name, X, y in (("training", X_train, y_train), ("test", X_test, y_test)):
        if not isinstance(X, pd.DataFrame):
            raise InputError(f"The {name} features are a {type(X).__name__}, not a DataFrame.",
                             "Pass the raw columns as a pandas DataFrame.")
        if len(X) != len(y):
            raise InputError(f"The {name} features have {len(X)} rows but the target has "
                             f"{len(y)}.", "Pass the target of exactly these rows.")
    if len(X_test) == 0:
        raise InputError("The test split has no rows.", "Freeze a split with test rows.")
    y = pd.Series(np.asarray(y_test))
    if y.isna().any():
        raise InputError(f"The test target has {int(y.isna().sum())} missing values.",
                         "Drop rows without a target before validating.")
    if task == "binary" and not set(y.unique().tolist()) <= {0, 1}:
        raise InputError(f"A binary target must be 0/1, got {sorted(map(str, y.unique()))[:5]}.",
                         "Encode it with lifecycle.problem.metrics.encode_target (1 = positive class).")
    if task == "regression" and not pd.api.types.is_numeric_dtype(y):
        raise InputError("A regression target must be numeric.", "Pick a numeric target.")
    if not all(isinstance(o, Objective) for o in objectives):
        raise InputError("Objectives must be Objective records.",
                         "Build them with lifecycle.problem.objectives.make_objective.")
    if not (isinstance(n_bootstrap, int) and n_bootstrap >= 0):
        raise InputError(f"n_bootstrap is {n_bootstrap!r}.", "Use a whole number such as 200.")
    if not (isinstance(overfit_threshold, (int, float)) and overfit_threshold >= 0):
        raise InputError(f"The overfitting threshold is {overfit_threshold!r}.",
                         "Use a non-negative number such as 0.05.")
    if task != "binary" and (cost_matrix is not None or threshold is not None):
        raise InputError(f"A cost matrix or decision threshold applies to binary tasks, not "
                         f"{task}.", "Leave them out.")
    if threshold is not None and not (isinstance(threshold, (int, float))
                                      and 0 < threshold < 1):
        raise InputError(f"The decision threshold is {threshold!r}.",
                         "Use a probability strictly between 0 and 1, such as 0.5.")
    validate_cost_matrix(cost_matrix)


def _fairness_review(task: str, p, decisions: np.ndarray, sensitive: dict[str, pd.Series] | None, *,
                     threshold: float | None, positive_class: str | None, seed: int, n_bootstrap: int,
                     notes: list[str]) -> FairnessReport | None:
    """The review the Fairness panel shows, on the same decisions (:func:`review_decisions`, the
    same call the panel makes); None (with a note) when the sensitive values cannot be reviewed,
    so the verdict falls back to the all-groups values of ``ValidationReport.fairness``."""
    if not sensitive:
        return None
    frame = pd.DataFrame({name: np.asarray(values, dtype=object) for name, values in sensitive.items()})
    y_pred = p.labels if task == "regression" else decisions
    try:
        return review_decisions(task, p.y, y_pred, frame, classes=p.classes if task == "multiclass" else None,
                                threshold=threshold, positive_class=positive_class, seed=seed,
                                n_bootstrap=n_bootstrap)
    except InputError as error:
        notes.append(f"Fairness objectives are judged on Fairlearn's values over all groups: {error.problem}")
        return None


def _class_counts(task: str, y: np.ndarray) -> dict[str, int] | None:
    if task == "regression":
        return None
    values, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts)}


@dataclass(frozen=True, kw_only=True, eq=False)
class Evaluated:
    """What :func:`evaluate_with_review` computed: the report, and the fairness review its
    fairness verdicts were judged on (None without reviewable sensitive values)."""

    report: ValidationReport
    fairness_review: FairnessReport | None


def evaluate(pipeline, *, task: str, X_train: pd.DataFrame, y_train, X_test: pd.DataFrame,
             y_test, objectives: list[Objective], cv_scores: dict[str, float] | None = None,
             sensitive: dict[str, pd.Series] | None = None, seed: int = 0,
             n_bootstrap: int = 200, cost_matrix: dict | None = None,
             overfit_threshold: float = 0.05, threshold: float | None = None,
             latency_rows: int = LATENCY_ROWS, positive_class: str | None = None) -> ValidationReport:
    """Validate a FITTED pipeline on its test rows and judge every objective.

    Binary ``y`` is 0/1 (1 = positive class), multiclass ``y`` text, regression numbers.
    ``cv_scores`` maps metric names to cross-validated values (in the metric's own
    orientation, e.g. RMSE positive); ``sensitive`` maps attribute names to the test rows'
    values, in test-row order. Binary decisions (confusion matrix, fairness) use
    ``threshold`` when given, else the cost-optimal threshold when ``cost_matrix`` is given,
    else the model's own ``predict``. ``positive_class`` (binary) only words how the fairness
    review's decisions were made. Raises InputError for inputs that cannot be validated.
    """
    return evaluate_with_review(
        pipeline, task=task, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        objectives=objectives, cv_scores=cv_scores, sensitive=sensitive, seed=seed, n_bootstrap=n_bootstrap,
        cost_matrix=cost_matrix, overfit_threshold=overfit_threshold, threshold=threshold,
        latency_rows=latency_rows, positive_class=positive_class).report


def evaluate_with_review(pipeline, *, task: str, X_train: pd.DataFrame, y_train, X_test: pd.DataFrame,
                         y_test, objectives: list[Objective], cv_scores: dict[str, float] | None = None,
                         sensitive: dict[str, pd.Series] | None = None, seed: int = 0,
                         n_bootstrap: int = 200, cost_matrix: dict | None = None,
                         overfit_threshold: float = 0.05, threshold: float | None = None,
                         latency_rows: int = LATENCY_ROWS, positive_class: str | None = None) -> Evaluated:
    """:func:`evaluate`, also returning the fairness review (default minimum group size, ``seed``
    and ``n_bootstrap`` resamples) that the fairness verdicts were judged on, so the caller can
    store it rather than compute it again."""
    objectives = list(objectives or [])
    _check_inputs(task, X_train, y_train, X_test, y_test, objectives, n_bootstrap,
                  overfit_threshold, threshold, cost_matrix)
    primary = PRIMARY[task]
    notes: list[str] = []
    p, batch_seconds = predict_all(pipeline, task, X_test, y_test)
    metrics = estimate_metrics(p, metric_names(task), n_bootstrap=n_bootstrap, seed=seed)
    curves: dict = dict(confusion=None, roc=None, precision_recall=None, calibration=None,
                        per_class=(), residuals=None, thresholds=None)
    decisions, decision_threshold = p.labels, None
    if task == "binary":
        analysis = analyse_thresholds(p.y, p.positive, cost_matrix)
        decision_threshold = (float(threshold) if threshold is not None else
                              analysis.best_threshold if cost_matrix is not None else None)
        if decision_threshold is not None:
            decisions = (p.positive >= decision_threshold).astype(int)
        curves.update(thresholds=analysis, roc=roc(p), precision_recall=precision_recall(p),
                      calibration=calibration(p),
                      confusion=confusion(p.y, decisions, p.classes, task, decision_threshold))
        if len(np.unique(p.y)) < 2:
            notes.append("The test rows hold one class only; ranking metrics and curves "
                         "cannot be computed.")
    elif task == "multiclass":
        curves.update(confusion=confusion(p.y, p.labels, p.classes, task), per_class=per_class(p))
    else:
        curves.update(residuals=residuals(p, seed))

    train_value = compute_metric(primary, predict_for(pipeline, task, primary, X_train,
                                                      y_train))[0] if len(X_train) else None
    cv_value = (cv_scores or {}).get(primary)
    cv_value = float(cv_value) if cv_value is not None and math.isfinite(cv_value) else None
    fit_gap = overfitting(primary, train=train_value, cv=cv_value, test=metrics[primary].value,
                          threshold=float(overfit_threshold))

    kinds = feature_kinds(pipeline, X_test)
    checks = robustness(
        lambda frame: compute_metric(primary, predict_for(pipeline, task, primary, frame, y_test)),
        primary, clean=metrics[primary].value, X=X_test, X_train=X_train, kinds=kinds,
        seed=seed)

    slice_columns = {c: X_test[c] for c in kinds}
    slice_kinds = dict(kinds)
    for name, values in (sensitive or {}).items():
        if name not in slice_columns and len(values) == len(X_test):
            slice_columns[name] = pd.Series(np.asarray(values, dtype=object))
            slice_kinds[name] = "categorical"
    slices = slice_metrics(p, slice_columns, slice_kinds, primary)
    cohorts = weakest_cohorts(p, X_test, kinds, seed=seed)
    latency = measure_latency(pipeline, task, X_test, batch_seconds=batch_seconds,
                              rows=latency_rows)
    fair = fairness(task, p, np.asarray(decisions), sensitive)
    review = _fairness_review(task, p, np.asarray(decisions), sensitive, threshold=decision_threshold,
                              positive_class=positive_class, seed=seed, n_bootstrap=n_bootstrap, notes=notes)
    verdicts = tuple(judge(o, task=task, metrics=metrics, fairness_results=fair,
                           latency=latency, fairness_review=review) for o in objectives)
    if not objectives:
        notes.append("No objectives were set; the verdict passes vacuously. Set objectives "
                     "in stage 1.")
    report = ValidationReport(
        task=task, primary_metric=primary, n_train=len(X_train), n_test=len(X_test), seed=seed,
        n_bootstrap=n_bootstrap, classes=tuple(str(c) for c in p.classes), metrics=metrics,
        decision_threshold=decision_threshold, **curves, overfitting=fit_gap,
        robustness=checks, slices=slices, weakest_cohorts=cohorts, latency=latency,
        fairness=fair, verdicts=verdicts, notes=tuple(notes), class_counts=_class_counts(task, p.y),
        versions={"scikit-learn": sklearn.__version__, "fairlearn": fairlearn.__version__,
                  "numpy": np.__version__, "pandas": pd.__version__})
    return Evaluated(report=report, fairness_review=review)
