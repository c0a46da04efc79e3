"""Fairness review speed: Lifecycle's vectorised review vs a loop over Fairlearn's functions.

Both sides produce the same numbers for two sensitive attributes (sex, race) and their
intersection on 30,000 rows of Adult: group metrics (selection rate, true and false positive
rates, precision, accuracy, count) and the demographic parity and equalized odds difference
and ratio, each with a percentile interval over the same ``--resamples`` stratified bootstrap
resamples (default 200). Lifecycle's side is one ``fairness_review.review`` call (median of
``--repeat``). The naive side is what a user would otherwise write: a ``MetricFrame`` per
grouping, then for every resample the four Fairlearn disparity functions per grouping; it is
timed on ``--naive-resamples`` resamples (default 5) and scaled linearly to ``--resamples``,
since the full loop takes many minutes here. The decisions come from a linear model trained
through Lifecycle on the bundled Adult data; the end-to-end ``review_version`` (load model and
test rows, predict, review, store the evidence) on the test split is timed too. Goal: the
30,000-row review under 5 s. Run from the repository root:

    .venv/bin/python bench/fairness_bench.py [--rows 30000] [--resamples 200] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from fairlearn import metrics as flm  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

from _adult import adult_project  # noqa: E402
from lifecycle.validate import fairness_bootstrap  # noqa: E402
from lifecycle.models import registry
from lifecycle.data import datasets
from lifecycle.review.fairness_evidence import review_version  # noqa: E402
from lifecycle.validate.fairness_review import INTERSECTION, review  # noqa: E402
from lifecycle.develop.search import run_search  # noqa: E402
from lifecycle.develop.training import data_for_run, get_run  # noqa: E402

SENSITIVE = ["sex", "race"]
DISPARITIES = (flm.demographic_parity_difference, flm.demographic_parity_ratio,
               flm.equalized_odds_difference, flm.equalized_odds_ratio)


def prepare(folder: Path):
    """The Adult project of bench/tracking_bench.py, with a linear model registered."""
    workspace, analyst, project, frozen, split = adult_project(
        folder, objectives=("roc_auc>=0.85", "demographic_parity_difference<=0.1"))
    result = run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                        algorithm="linear", method="none", cv_folds=2)
    return workspace, analyst, registry.register_run(workspace, analyst, result.best_run_id)


def rows_to_review(workspace, version, rows: int):
    """The model's decisions on the first ``rows`` rows of the dataset, their labels and sex/race."""
    data = data_for_run(workspace, get_run(workspace, version.run_id))
    X = pd.concat([data.X_train, data.X_validation, data.X_test]).sort_index().iloc[:rows]
    y = pd.concat([data.y_train, data.y_validation, data.y_test]).sort_index().iloc[:rows].to_numpy()
    decisions = registry.load_pipeline(workspace, version).predict(X)
    sensitive = datasets.load_frame(workspace, data.dataset, columns=SENSITIVE).loc[X.index].reset_index(drop=True)
    return y, np.asarray(decisions), sensitive


def naive(y, decisions, sensitive: pd.DataFrame, resamples: np.ndarray) -> tuple[float, float]:
    """MetricFrame per grouping, then Fairlearn's four functions per grouping per resample;
    returns the seconds of the group tables and of the resamples."""
    groupings = [sensitive["sex"], sensitive["race"], sensitive[SENSITIVE]]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for features in groupings:
            flm.MetricFrame(metrics={"count": flm.count, "selection_rate": flm.selection_rate,
                                     "true_positive_rate": flm.true_positive_rate,
                                     "false_positive_rate": flm.false_positive_rate,
                                     "precision": partial(skm.precision_score, zero_division=np.nan),
                                     "accuracy": skm.accuracy_score},
                            y_true=y, y_pred=decisions, sensitive_features=features)
        tables = time.perf_counter() - start
        replicates = []
        for rows in resamples:
            for features in groupings:
                picked = features.iloc[rows].reset_index(drop=True)
                replicates.append([f(y[rows], decisions[rows], sensitive_features=picked) for f in DISPARITIES])
    return tables, time.perf_counter() - start - tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--naive-resamples", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace, analyst, version = prepare(Path(folder))
        y, decisions, sensitive = rows_to_review(workspace, version, args.rows)
        print(f"Adult: {len(y):,} rows reviewed by {' and '.join(SENSITIVE)} and {INTERSECTION.join(SENSITIVE)}; "
              f"{args.resamples} stratified bootstrap resamples")
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = review("binary", y, decisions, sensitive, n_bootstrap=args.resamples, seed=0)
            timings.append(time.perf_counter() - start)
        ours = statistics.median(timings)
        strata = np.unique(sensitive.astype(str).agg("|".join, axis=1), return_inverse=True)[1]
        resamples = next(fairness_bootstrap.stratified_resamples(strata, args.naive_resamples, 0))
        tables, looped = naive(y, decisions, sensitive, resamples)
        per_resample = looped / max(args.naive_resamples, 1)
        theirs = tables + per_resample * args.resamples
        print(f"Lifecycle review: {ours:.2f} s (median of {args.repeat}: "
              f"{', '.join(f'{t:.2f}' for t in timings)}); goal < 5 s")
        print(f"Fairlearn loop:   {theirs:.0f} s (group tables {tables:.2f} s + {per_resample:.2f} s per resample, "
              f"measured over {args.naive_resamples} and scaled to {args.resamples}) -> {theirs / ours:,.0f}x slower")
        print("  " + report.summary)
        start = time.perf_counter()
        stored = review_version(workspace, analyst, version.id, n_bootstrap=args.resamples)
        print(f"End to end on the test split ({stored.report.n_rows:,} rows: load model and rows, predict, "
              f"review, store evidence): {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        review_version(workspace, analyst, version.id, n_bootstrap=args.resamples)
        print(f"Read back from the stored evidence: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
