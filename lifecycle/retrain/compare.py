"""Champion against challenger offline, on the same labelled rows: the metric of each, a paired
bootstrap interval of the difference, McNemar's test for accuracy and DeLong's test for ROC AUC, and
a plain verdict: better, worse, or no detectable difference.

The rows are any labelled rows both versions can score (``LabelledRows``): by default the test rows
of the challenger's split (``validate.held_out``), which the challenger never trained on; labelled
production rows can be passed the same way. The verdict comes from one named test: DeLong's for
ROC AUC, McNemar's for accuracy, the paired bootstrap interval for every other metric.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from lifecycle.develop.training import get_run
from lifecycle.errors import InputError
from lifecycle.models.registry import get_version, load_pipeline
from lifecycle.problem.metrics import PRIMARY, encode_target
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.problem.projects import get_project
from lifecycle.records import ModelVersion, Project
from lifecycle.retrain.stats_tests import (DeLong, McNemar, PairedBootstrap, delong_test, mcnemar_test,
                                           paired_bootstrap)
from lifecycle.validate.held_out import held_out
from lifecycle.validate.metrics import Predictions, compute_metric, metric_names, predict_all
from lifecycle.workspace import Workspace

ALPHA = 0.05
BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no detectable difference"


@dataclass(frozen=True, kw_only=True, eq=False)
class LabelledRows:
    """Rows to compare on: the input columns ``X`` and the target ``y`` encoded as training encodes it
    (binary: 1 = the positive class), and where they come from, in words."""

    X: pd.DataFrame
    y: pd.Series
    source: str


def labelled_rows(project: Project, frame: pd.DataFrame, *, source: str) -> LabelledRows:
    """``frame`` (input columns plus the project's target column, e.g. labelled production rows) as
    ``LabelledRows``. Raises InputError when the target column is missing or empty."""
    if project.target not in frame.columns:
        raise InputError(f"The rows have no {project.target!r} column (the target).",
                         "Add the true label of every row in that column.")
    labelled = frame[frame[project.target].notna()]
    if labelled.empty:
        raise InputError(f"No row has a value in {project.target!r}.", "Compare on rows whose outcome is known.")
    y = encode_target(labelled[project.target], project.task, project.positive_class)
    return LabelledRows(X=labelled.drop(columns=[project.target]), y=y, source=source)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Version B (the challenger) against version A (the champion) on the same rows; computed once
    by :func:`compare_versions`, then only read."""

    version_a: ModelVersion
    version_b: ModelVersion
    metric: str
    higher_is_better: bool
    n: int
    source: str
    value_a: float
    value_b: float
    bootstrap: PairedBootstrap
    mcnemar: McNemar | None
    delong: DeLong | None
    alpha: float
    notes: tuple[str, ...] = ()

    @property
    def deciding_test(self) -> str:
        if self.delong is not None:
            return "DeLong's test"
        if self.mcnemar is not None:
            return "McNemar's test"
        return f"the paired bootstrap {self.bootstrap.confidence:.0%} interval"

    @property
    def difference(self) -> float:
        """B − A in the metric's units."""
        return self.delong.difference if self.delong is not None else self.bootstrap.difference

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """The interval of B − A shown with the verdict: DeLong's for ROC AUC, else the bootstrap's."""
        if self.delong is not None:
            return self.delong.low, self.delong.high
        return self.bootstrap.low, self.bootstrap.high

    @property
    def p_value(self) -> float | None:
        test = self.delong or self.mcnemar
        return None if test is None else test.p_value

    @property
    def verdict(self) -> str:
        """B against A: better, worse, or no detectable difference (by :attr:`deciding_test`)."""
        if self.p_value is not None:
            detected = self.p_value < self.alpha and self.difference != 0
        else:
            low, high = self.interval
            detected = low is not None and high is not None and (low > 0 or high < 0)
        if not detected:
            return NO_DIFFERENCE
        improved = (self.difference > 0) == self.higher_is_better
        return BETTER if improved else WORSE

    def sentence(self) -> str:
        label = CATALOGUE[self.metric].label
        low, high = self.interval
        interval = "" if low is None else f" (interval {low:+.4f} to {high:+.4f})"
        p = "" if self.p_value is None else f", p = {self.p_value:.3g}"
        head = {BETTER: f"v{self.version_b.version} is better than v{self.version_a.version}",
                WORSE: f"v{self.version_b.version} is worse than v{self.version_a.version}",
                NO_DIFFERENCE: f"No detectable difference between v{self.version_b.version} and "
                               f"v{self.version_a.version}"}[self.verdict]
        return (f"{head} on {label}: {self.value_b:.4f} against {self.value_a:.4f}, difference "
                f"{self.difference:+.4f}{interval}{p}, by {self.deciding_test} on {self.n:,} rows.")

    def to_dict(self) -> dict:
        """JSON-ready: the verdict, effect and interval first, then each test's numbers."""
        low, high = self.interval
        return {"verdict": self.verdict, "metric": self.metric, "version_a": self.version_a.id,
                "version_b": self.version_b.id, "value_a": self.value_a, "value_b": self.value_b,
                "effect": self.difference, "low": low, "high": high, "p_value": self.p_value,
                "deciding_test": self.deciding_test, "rows": self.n, "source": self.source, "alpha": self.alpha,
                "bootstrap": {"difference": self.bootstrap.difference, "low": self.bootstrap.low,
                              "high": self.bootstrap.high, "n_resamples": self.bootstrap.n_resamples,
                              "seed": self.bootstrap.seed, "method": self.bootstrap.method},
                "mcnemar": None if self.mcnemar is None else {
                    "table": [list(r) for r in self.mcnemar.table], "statistic": self.mcnemar.statistic,
                    "p_value": self.mcnemar.p_value, "exact": self.mcnemar.exact},
                "delong": None if self.delong is None else {
                    "auc_a": self.delong.auc_a, "auc_b": self.delong.auc_b, "se": self.delong.se,
                    "z": self.delong.z, "p_value": self.delong.p_value},
                "notes": list(self.notes), "sentence": self.sentence()}


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for binary ``y`` (1 = positive) by the Mann-Whitney rank sum, ties as midranks
    (NaN with one class only): equal to scikit-learn's ``roc_auc_score`` (checked in a test), without its
    per-call input checks, which dominate a bootstrap's thousands of calls."""
    positives = np.asarray(y) == 1
    n_pos = int(positives.sum())
    n_neg = positives.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = rankdata(score)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _metric_difference(metric: str, a: Predictions, b: Predictions):
    if metric == "roc_auc" and a.task == "binary":  # the bootstrap's hot path: ranks, not sklearn's checks
        def by_ranks(rows: np.ndarray) -> float:
            return rank_auc(b.y[rows], b.ranking[rows]) - rank_auc(a.y[rows], a.ranking[rows])
        return by_ranks

    def statistic(rows: np.ndarray) -> float:
        value_a, _ = compute_metric(metric, a.take(rows))
        value_b, _ = compute_metric(metric, b.take(rows))
        return np.nan if value_a is None or value_b is None else value_b - value_a
    return statistic


def compare_predictions(version_a: ModelVersion, version_b: ModelVersion, a: Predictions, b: Predictions, *,
                        metric: str, source: str, n_resamples: int = 1000, seed: int = 0, alpha: float = ALPHA,
                        notes: tuple[str, ...] = ()) -> Comparison:
    """The comparison of two versions' predictions on the same rows (``a.y`` equal to ``b.y``).
    Raises InputError when the metric cannot be computed on these rows."""
    value_a, why_a = compute_metric(metric, a)
    value_b, why_b = compute_metric(metric, b)
    if value_a is None or value_b is None:
        raise InputError(f"{CATALOGUE[metric].label} cannot be computed on these rows: {why_a or why_b}",
                         "Pick another metric (--metric) or rows with both classes.")
    boot = paired_bootstrap(_metric_difference(metric, a, b), len(a), n_resamples=n_resamples, seed=seed,
                            confidence=1 - alpha)
    mcnemar = (mcnemar_test(a.labels == a.y, b.labels == b.y)
               if metric == "accuracy" and a.task != "regression" else None)
    delong = (delong_test(a.y, a.ranking, b.ranking, confidence=1 - alpha)
              if metric == "roc_auc" and a.task == "binary" else None)
    return Comparison(version_a=version_a, version_b=version_b, metric=metric,
                      higher_is_better=CATALOGUE[metric].higher_is_better, n=len(a), source=source,
                      value_a=value_a, value_b=value_b, bootstrap=boot, mcnemar=mcnemar, delong=delong, alpha=alpha,
                      notes=notes)


def compare_versions(workspace: Workspace, version_a_id: int, version_b_id: int, *, metric: str | None = None,
                     rows: LabelledRows | None = None, n_resamples: int = 1000, seed: int = 0,
                     alpha: float = ALPHA, actor_name: str = "system") -> Comparison:
    """Compare version B (``version_b_id``, the challenger) with version A (the champion) on the same
    labelled rows: ``rows``, or by default B's held-out test rows. ``metric`` defaults to the task's
    primary metric. Raises InputError (identical or cross-project versions, a metric that does not
    apply, rows without both classes), NotFound (a missing version or artifact)."""
    if version_a_id == version_b_id:
        raise InputError(f"Both sides are version #{version_a_id}.", "Compare two different versions.")
    version_a, version_b = get_version(workspace, version_a_id), get_version(workspace, version_b_id)
    if version_a.project_id != version_b.project_id:
        raise InputError(f"Model {version_a.label} and {version_b.label} belong to different projects.",
                         "Compare versions of one project.")
    project = get_project(workspace, version_a.project_id)
    metric = metric or PRIMARY[project.task]
    if metric not in metric_names(project.task):
        raise InputError(f"Metric {metric!r} does not apply to a {project.task} task.",
                         f"Choose one of: {', '.join(metric_names(project.task))}.")
    notes: tuple[str, ...] = ()
    if rows is None:
        held_b = held_out(workspace, version_b, actor_name=actor_name)
        run_a = get_run(workspace, version_a.run_id)
        same = run_a.dataset_id == held_b.run.dataset_id and run_a.split_id == held_b.run.split_id
        rows = LabelledRows(X=held_b.X, y=held_b.y,
                            source=f"the test rows of split #{held_b.split.id} of {held_b.dataset.label}")
        if not same:
            notes = (f"v{version_a.version} was trained on another dataset version or split "
                     f"(dataset #{run_a.dataset_id}, split #{run_a.split_id}): if its training rows overlap these "
                     "test rows, it has an unfair advantage.",)
        pipeline_b = held_b.pipeline
    else:
        pipeline_b = load_pipeline(workspace, version_b, actor_name=actor_name)
    if len(rows.X) < 2:
        raise InputError(f"Only {len(rows.X)} labelled row(s) to compare on.", "Compare on at least a few rows.")
    pipeline_a = load_pipeline(workspace, version_a, actor_name=actor_name)
    a, _ = predict_all(pipeline_a, project.task, rows.X, rows.y)
    b, _ = predict_all(pipeline_b, project.task, rows.X, rows.y)
    return compare_predictions(version_a, version_b, a, b, metric=metric, source=rows.source,
                               n_resamples=n_resamples, seed=seed, alpha=alpha, notes=notes)
