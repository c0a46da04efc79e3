"""The Fairlearn fairness review of a model's decisions on its test rows.

:func:`review` computes, once, a frozen :class:`FairnessReport`: for each sensitive attribute
and for the intersection of all of them, the metrics of every group (what Fairlearn's
``MetricFrame`` gives), and the demographic parity and equalized odds difference and ratio
(MAE and RMSE gaps for regression) with seeded percentile-bootstrap intervals. Groups smaller
than ``min_group_size`` are shown with a flag and left out of the differences and ratios.
The numbers come from per-group counts (``fairness_bootstrap``), checked against Fairlearn's
own functions in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import fairlearn
import numpy as np
import pandas as pd

from lifecycle.validate import fairness_bootstrap as fb
from lifecycle.dataclass_json import from_jsonable, to_jsonable
from lifecycle.errors import InputError, shown
from lifecycle.problem.objectives import CATALOGUE, is_met
from lifecycle.records import TASKS, Objective
from lifecycle.validate.groups import MISSING_GROUP, group_labels
from lifecycle.validate.verdicts import Status

MIN_GROUP_SIZE = 30  # groups below this are flagged and not compared
DEFAULT_BOOTSTRAP = 200
MAX_BOOTSTRAP = 5000
MAX_GROUPS = 50  # more distinct values than this is a continuous column, not groups
INTERSECTION = " × "
FORMAT_VERSION = 1

DISPARITIES = {
    "binary": ("demographic_parity_difference", "demographic_parity_ratio",
               "equalized_odds_difference", "equalized_odds_ratio"),
    "multiclass": ("demographic_parity_difference", "demographic_parity_ratio",
                   "equalized_odds_difference", "equalized_odds_ratio"),
    "regression": ("group_mae_difference", "group_mae_ratio", "group_rmse_difference",
                   "group_rmse_ratio"),
}
LABELS = {
    "count": "Rows", "selection_rate": "Selection rate", "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate", "precision": "Precision", "accuracy": "Accuracy",
    "mae": "MAE", "rmse": "RMSE", "group_mae_ratio": "Smallest over largest group MAE",
    "group_rmse_difference": "Largest RMSE gap between groups",
    "group_rmse_ratio": "Smallest over largest group RMSE",
}
RESAMPLING = ("Percentile bootstrap over the test rows, stratified by the intersectional group of "
              "every chosen attribute: each resample keeps every group's size, so no group "
              "disappears and the interval reflects the noise in each group's rates. A largest-minus-"
              "smallest gap leans upward under resampling, so with small groups the interval can "
              "sit mostly above the value.")


def label(metric: str) -> str:
    """A metric name for people: 'selection_rate:cat' reads 'Selection rate (cat)'."""
    if metric.startswith("selection_rate:"):
        return f"Selection rate ({metric.split(':', 1)[1]})"
    spec = CATALOGUE.get(metric)
    return spec.label if spec else LABELS.get(metric, metric)


@dataclass(frozen=True, kw_only=True)
class GroupMetrics:
    """One group of a grouping: its attribute values, size and metrics (None: undefined)."""

    group: str  # "Female" or "Female × White"
    count: int
    metrics: dict[str, float | None]
    small: bool  # under the minimum size: shown, not compared


@dataclass(frozen=True, kw_only=True)
class Disparity:
    """A difference or ratio over the compared groups, with its bootstrap interval."""

    metric: str
    value: float | None
    low: float | None
    high: float | None
    defined_resamples: int  # resamples where the value could be computed
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class GroupingReview:
    """One sensitive attribute, or the intersection of several."""

    name: str  # "sex" or "sex × race"
    attributes: tuple[str, ...]
    groups: tuple[GroupMetrics, ...]
    overall: dict[str, float | None]
    disparities: tuple[Disparity, ...]
    excluded: tuple[str, ...]  # small groups left out of the disparities
    notes: tuple[str, ...] = ()

    def disparity(self, metric: str) -> Disparity | None:
        return next((d for d in self.disparities if d.metric == metric), None)


@dataclass(frozen=True, kw_only=True)
class FairnessReport:
    """Everything the fairness review shows; computed by :func:`review`, then read-only."""

    task: str
    n_rows: int
    attributes: tuple[str, ...]
    metric_names: tuple[str, ...]  # columns of the group tables, "count" first
    disparity_names: tuple[str, ...]
    groupings: tuple[GroupingReview, ...]
    seed: int
    n_bootstrap: int
    min_group_size: int
    confidence: float
    resampling: str
    decision: str  # how decisions were made from the model's output
    notes: tuple[str, ...] = ()
    versions: dict[str, str] | None = None
    format_version: int = FORMAT_VERSION

    def worst(self, metric: str) -> tuple[Disparity, str] | None:
        """The least fair value of ``metric`` over the groupings, and the grouping's name."""
        known = [(g.disparity(metric), g.name) for g in self.groupings]
        known = [(d, name) for d, name in known if d is not None and d.value is not None]
        if not known:
            return None
        spec = CATALOGUE.get(metric)
        higher_is_better = spec.higher_is_better if spec else metric.endswith("ratio")
        pick = min if higher_is_better else max
        return pick(known, key=lambda item: item[0].value)

    @property
    def summary(self) -> str:
        """One line for evidence lists and the audit trail."""
        parts = []
        for metric in self.disparity_names[:2]:
            found = self.worst(metric)
            if found is not None:
                disparity, grouping = found
                interval = ("" if disparity.low is None else
                            f" [{disparity.low:.3f}, {disparity.high:.3f}]")
                parts.append(f"{label(metric)} {disparity.value:.3f}{interval} ({grouping})")
        attributes = ", ".join(self.attributes)
        if not parts:
            return f"Fairness by {attributes}: no groups large enough to compare."
        return f"Fairness by {attributes}, worst: " + "; ".join(parts)

    def to_dict(self) -> dict:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict) -> FairnessReport:
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise InputError("This stored fairness review is in an unknown format.",
                             "Compute the fairness review again.")
        return from_jsonable(cls, data)


def judge(objective: Objective | None, disparity: Disparity | None) -> Status:
    """PASS or FAIL against a fairness objective, UNCERTAIN when the value meets it but its
    interval straddles the threshold, NO_OBJECTIVE ('') without an objective."""
    if objective is None or disparity is None:
        return Status.NO_OBJECTIVE
    if disparity.value is None or not is_met(objective, disparity.value):
        return Status.FAIL
    if disparity.low is not None and disparity.high is not None and not (
            is_met(objective, disparity.low) and is_met(objective, disparity.high)):
        return Status.UNCERTAIN
    return Status.PASS


# ----------------------------------------------------------------------------- inputs

def _check(task, y_true, y_pred, sensitive, n_bootstrap, min_group_size, seed) -> None:
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}.", f"Use one of: {', '.join(TASKS)}.")
    if not isinstance(sensitive, pd.DataFrame) or sensitive.shape[1] == 0:
        raise InputError("No sensitive attribute was chosen for the fairness review.",
                         "Declare sensitive attributes in Problem (stage 1), or pick columns.")
    if sensitive.columns.duplicated().any():
        raise InputError("A sensitive attribute is chosen twice.", "Pick each column once.")
    if not (len(y_true) == len(y_pred) == len(sensitive)):
        raise InputError(f"The fairness review got {len(y_true)} true values, {len(y_pred)} "
                         f"decisions and {len(sensitive)} sensitive rows.",
                         "Pass the same test rows, in the same order, for all three.")
    if len(y_true) == 0:
        raise InputError("The fairness review got no test rows.", "Freeze a split with test rows.")
    for name, value, low, high in (("Bootstrap resamples", n_bootstrap, 0, MAX_BOOTSTRAP),
                                   ("The minimum group size", min_group_size, 1, 1_000_000),
                                   ("The seed", seed, 0, 2**32 - 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise InputError(f"{name} is {value!r}, not a whole number from {low} to {high}.",
                             f"Use e.g. {DEFAULT_BOOTSTRAP} resamples and groups of at least "
                             f"{MIN_GROUP_SIZE} rows.")
    if task != "regression" and pd.isna(pd.Series(y_true)).any():
        raise InputError("The test target has missing values.", "Filter them out in the recipe.")


def _cells(task: str, y_true, y_pred, classes) -> tuple[np.ndarray, int, np.ndarray | None, tuple]:
    """Each row's cell (true class × decision) and the cell count; regression: errors."""
    if task == "regression":
        error = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
        if not np.isfinite(error).all():
            raise InputError("Some test targets or predictions are missing or infinite.",
                             "Filter those rows out in the recipe.")
        return np.zeros(len(error), dtype=np.int64), 1, error, ()
    if task == "binary":
        y, d = np.asarray(y_true), np.asarray(y_pred)
        if not (np.isin(y, (0, 1)).all() and np.isin(d, (0, 1)).all()):
            raise InputError("Binary targets and decisions must be 0 or 1 (1 = positive class).",
                             "Encode the target with lifecycle.problem.metrics.encode_target.")
        return y.astype(np.int64) * 2 + d.astype(np.int64), 4, None, (0, 1)
    y, d = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    classes = tuple(str(c) for c in (classes if classes is not None else np.union1d(y, d)))
    unknown = sorted(str(c) for c in (set(np.unique(y)) | set(np.unique(d))) - set(classes))
    if unknown:
        raise InputError(f"Class {unknown[0]!r} is not among the model's classes {list(classes)}.",
                         "Pass the classes the model predicts.")
    k, order = len(classes), np.argsort(classes)
    code = lambda values: order[np.searchsorted(np.asarray(classes)[order], values)]  # noqa: E731
    return code(y).astype(np.int64) * k + code(d), k * k, None, classes


# ----------------------------------------------------------------------------- the review

def _metrics_of(task: str, counts: np.ndarray, classes: tuple) -> dict[str, np.ndarray]:
    if task == "binary":
        return fb.binary_metrics(counts)
    if task == "multiclass":
        return fb.multiclass_metrics(counts, classes)
    return fb.regression_metrics(counts)


def _disparities_of(task: str, counts: np.ndarray, classes: tuple, compared: np.ndarray):
    if task == "binary":
        return fb.binary_disparities(counts, compared)
    if task == "multiclass":
        return fb.multiclass_disparities(counts, len(classes), compared)
    return fb.regression_disparities(counts, compared)


def _number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _stratum_counts(task, strata, cells, n_strata, n_cells, error, rows=None) -> np.ndarray:
    if task != "regression":
        return fb.cell_counts(strata, cells, n_strata, n_cells, rows)
    parts = [fb.cell_counts(strata, cells, n_strata, 1, rows, weights=w)
             for w in (None, np.abs(error), error ** 2)]
    return np.concatenate(parts, axis=-1).astype(float)


def _grouping_notes(name, groups, counts, small, compared, min_group_size, n_rows) -> list[str]:
    notes = []
    if len(groups) < 2:
        notes.append(f"{name!r} has a single group ({shown(groups[0])}) in the {n_rows:,} test rows; "
                     "fairness compares two or more groups, so no difference or ratio is computed.")
        return notes
    if small.any():
        listed = ", ".join(f"{shown(g)} ({int(c):,} rows)" for g, c, s in zip(groups, counts, small) if s)
        notes.append(f"Groups under {min_group_size} rows are shown but not compared: {listed}.")
    if compared.sum() < 2:
        notes.append(f"Fewer than two groups of {name!r} have {min_group_size} rows or more, so no "
                     "difference or ratio is computed. Lower the minimum group size to compare "
                     "them, knowing the numbers will be noisy.")
    return notes


def _one_grouping(task, name, attributes, group_of_stratum, group_names, stratum_counts,
                  replicate_counts, classes, min_group_size, n_rows) -> GroupingReview:
    # Every group holds rows: group names come from the values seen in the test rows.
    names = list(group_names)
    counts = fb.to_groups(stratum_counts, group_of_stratum, len(names))
    values = _metrics_of(task, counts, classes)
    sizes = values["count"].astype(int)
    small = sizes < min_group_size
    compared = ~small
    notes = _grouping_notes(name, names, sizes, small, compared, min_group_size, n_rows)
    groups = tuple(GroupMetrics(group=g, count=int(sizes[i]), small=bool(small[i]),
                                metrics={m: _number(v[i]) for m, v in values.items() if m != "count"})
                   for i, g in enumerate(names))
    total = counts.sum(axis=0, keepdims=True)
    overall = {m: _number(v[0]) for m, v in _metrics_of(task, total, classes).items() if m != "count"}
    can_compare = len(names) >= 2 and compared.sum() >= 2
    disparities = []
    if can_compare:
        point = _disparities_of(task, counts, classes, compared)
        replicates = None
        if replicate_counts is not None:
            grouped = fb.to_groups(replicate_counts, group_of_stratum, len(names))
            replicates = _disparities_of(task, grouped, classes, compared)
        for metric in DISPARITIES[task]:
            value = _number(point[metric])
            low = high = None
            defined, note = 0, ""
            if replicates is not None:
                low, high, defined = fb.percentile_interval(replicates[metric])
                missing = len(replicates[metric]) - defined
                if missing:
                    note = f"Undefined in {missing} of {len(replicates[metric])} resamples."
            if value is None:
                note = ("Undefined: the largest group rate is 0. " + note).strip()
            disparities.append(Disparity(metric=metric, value=value, low=low, high=high,
                                         defined_resamples=defined, note=note))
        notes.extend(_rate_notes(task, counts, names, compared))
    else:
        disparities = [Disparity(metric=m, value=None, low=None, high=None, defined_resamples=0,
                                 note="Not computed: fewer than two groups to compare.")
                       for m in DISPARITIES[task]]
    return GroupingReview(name=name, attributes=attributes, groups=groups, overall=overall,
                          disparities=tuple(disparities),
                          excluded=tuple(g for g, s in zip(names, small) if s), notes=tuple(notes))


def _rate_notes(task, counts, names, compared) -> list[str]:
    if task != "binary":
        return []
    notes = []
    for cells, what, rate in (((2, 3), "positive", "true"), ((0, 1), "negative", "false")):
        empty = [g for g, c, keep in zip(names, counts, compared) if keep and c[list(cells)].sum() == 0]
        if empty:
            notes.append(f"{', '.join(repr(g) for g in empty)} has no {what} test rows; its {rate} "
                         "positive rate counts as 0 (Fairlearn's convention), which can inflate "
                         "equalized odds.")
    return notes


def review(task: str, y_true, y_pred, sensitive: pd.DataFrame, *, classes=None, seed: int = 0,
           n_bootstrap: int = DEFAULT_BOOTSTRAP, min_group_size: int = MIN_GROUP_SIZE,
           decision: str = "the model's predict", max_groups: int | None = MAX_GROUPS) -> FairnessReport:
    """Review decisions ``y_pred`` against ``y_true`` by each column of ``sensitive`` (the test
    rows' sensitive values, same order) and by their intersection.

    Binary ``y`` and decisions are 0/1 (1 = the positive, selected outcome); multiclass are
    class labels (``classes`` in the model's order); regression are numbers. Missing sensitive
    values form the explicit group '(missing)' (:func:`~lifecycle.validate.groups.group_labels`
    names every group). Raises InputError for mismatched lengths, bad settings, or a column with
    more than ``max_groups`` distinct values (None: no limit).
    """
    _check(task, y_true, y_pred, sensitive, n_bootstrap, min_group_size, seed)
    n_rows = len(sensitive)
    cells, n_cells, error, classes = _cells(task, y_true, y_pred, classes)
    attributes = tuple(str(c) for c in sensitive.columns)
    notes: list[str] = []
    codes, names = [], []
    for column in attributes:
        labels = group_labels(sensitive[column])
        found, code = np.unique(labels, return_inverse=True)
        if max_groups is not None and len(found) > max_groups:
            raise InputError(f"Sensitive column {column!r} has {len(found):,} distinct values in the "
                             f"test rows; a fairness review compares up to {max_groups} groups.",
                             "Bin it into a few groups in the recipe, or pick a categorical column.")
        missing = int((labels == MISSING_GROUP).sum())
        if missing:
            notes.append(f"{missing:,} test rows have no value for {column!r}; they form the group "
                         f"{MISSING_GROUP!r}.")
        codes.append(code)
        names.append([str(v) for v in found])
    # Strata: the intersectional groups of all attributes, numbered in sorted order.
    combined = np.ravel_multi_index(codes, [len(n) for n in names]) if len(codes) > 1 else codes[0]
    present, strata = np.unique(combined, return_inverse=True)
    per_attribute = np.unravel_index(present, [len(n) for n in names])
    stratum_counts = _stratum_counts(task, strata, cells, len(present), n_cells, error)
    replicate_counts = None
    if n_bootstrap:
        replicate_counts = np.concatenate([
            _stratum_counts(task, strata, cells, len(present), n_cells, error, rows)
            for rows in fb.stratified_resamples(strata, n_bootstrap, seed)])
    groupings = []
    for i, column in enumerate(attributes):
        groupings.append(_one_grouping(task, column, (column,), per_attribute[i], names[i],
                                       stratum_counts, replicate_counts, classes, min_group_size, n_rows))
    if len(attributes) > 1:
        intersection_names = [INTERSECTION.join(names[a][per_attribute[a][s]] for a in range(len(attributes)))
                              for s in range(len(present))]
        groupings.append(_one_grouping(task, INTERSECTION.join(attributes), attributes,
                                       np.arange(len(present)), intersection_names, stratum_counts,
                                       replicate_counts, classes, min_group_size, n_rows))
    if task == "multiclass":
        notes.append("Multiclass: each class is in turn the selected outcome (one-vs-rest); the group "
                     "table shows each class's selection rate and the differences and ratios are the "
                     "worst over classes.")
    if n_bootstrap == 0:
        notes.append("No bootstrap resamples were asked for, so the values have no intervals.")
    metric_names = tuple(_metrics_of(task, stratum_counts[:0], classes))
    return FairnessReport(
        task=task, n_rows=n_rows, attributes=attributes, metric_names=metric_names,
        disparity_names=DISPARITIES[task], groupings=tuple(groupings), seed=int(seed),
        n_bootstrap=int(n_bootstrap), min_group_size=int(min_group_size), confidence=fb.CONFIDENCE,
        resampling=RESAMPLING, decision=decision, notes=tuple(notes),
        versions={"fairlearn": fairlearn.__version__, "numpy": np.__version__})


def all_groups(task: str, y_true, y_pred, sensitive: pd.DataFrame, *, classes=None) -> FairnessReport:
    """The review with every group compared, however small or many, and no resamples: the values
    Fairlearn's own functions give (``demographic_parity_difference`` etc. with these
    ``sensitive_features``; several columns are their intersection, the last grouping). Same
    inputs and errors as :func:`review`."""
    return review(task, y_true, y_pred, sensitive, classes=classes, n_bootstrap=0, min_group_size=1,
                  max_groups=None)
