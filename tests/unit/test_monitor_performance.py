"""Performance per window: realized numbers equal scikit-learn's and the Validate stage's on the
same joined rows, intervals are seeded, refreshes recompute only what changed, CBPE matches
NannyML's formulas and the realized value on calibrated traffic, and label drift matches scipy."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference
from scipy import stats
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import ANSWER, PredictionLog
from lifecycle.monitor.estimate import MAX_ECE, calibration_of, estimate_binary, expected_calibration_error
from lifecycle.monitor.label_drift import label_shift
from lifecycle.monitor.performance import performance_history, refresh_performance
from lifecycle.problem import projects
from lifecycle.store import models as model_store
from lifecycle.validate.metrics import Predictions, estimate_metrics
from tests.unit.monitor_traffic import START, make_project, simulate

HOUR = 3600
LATER = START + timedelta(days=1)


def _window(rows, hour, per_hour):
    chosen = rows[hour * per_hour:(hour + 1) * per_hour]
    p = np.array([r[1] for r in chosen])
    y = np.array([r[2] == "yes" for r in chosen], dtype=int)
    return p, y, (p >= 0.5).astype(int)


def test_realized_metrics_are_scikit_learns_on_the_joined_rows_with_the_validate_stages_intervals(workspace, actors):
    project = make_project(workspace, actors["analyst"], objectives=("recall>=0.5", "roc_auc>=0.7"))
    rows = simulate(workspace, project, hours=2, per_hour=300)
    result = refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    assert (result.windows, result.computed, result.unchanged) == (2, 2, 0)
    history = performance_history(workspace, project.id, size_seconds=HOUR)
    assert [w.window.start for w in history.windows] == [START, START + timedelta(hours=1)]
    for hour, window in enumerate(history.windows):
        p, y, decided = _window(rows, hour, 300)
        assert (window.predictions, window.labelled, window.labelled_share) == (300, 300, 1.0)
        assert window.label_counts == {"yes": int(y.sum()), "no": int(300 - y.sum())}
        assert window.realized["recall"].value == pytest.approx(skm.recall_score(y, decided))
        assert window.realized["precision"].value == pytest.approx(skm.precision_score(y, decided))
        assert window.realized["accuracy"].value == pytest.approx(skm.accuracy_score(y, decided))
        assert window.realized["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, p))
        expected = estimate_metrics(Predictions(task="binary", y=y, labels=decided, proba=np.c_[1 - p, p], ranking=p,
                                                classes=(0, 1)), ["recall", "roc_auc"], n_bootstrap=200, seed=0)
        for metric in ("recall", "roc_auc"):
            stored = window.realized[metric]
            assert (stored.low, stored.high) == pytest.approx((expected[metric].low, expected[metric].high))
            assert stored.low < stored.value < stored.high and stored.n == 300
    assert set(history.tracked) >= {"recall", "roc_auc", "accuracy", "precision", "f1"}


def test_intervals_are_seeded_the_same_traffic_gives_the_same_interval(workspace, actors, tmp_path):
    project = make_project(workspace, actors["analyst"])
    simulate(workspace, project, hours=1, per_hour=200)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    first = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized["recall"]
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER, seed=1)  # a new seed recomputes
    other = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized["recall"]
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER, seed=0)
    again = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized["recall"]
    assert (again.low, again.high) == (first.low, first.high)
    assert (other.low, other.high) != (first.low, first.high) and other.value == first.value


def test_a_refresh_recomputes_only_the_windows_whose_labels_or_settings_changed(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    rows = simulate(workspace, project, hours=3, per_hour=100, label_share=0.5)
    assert refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER).computed == 3
    assert refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER).computed == 0
    history = performance_history(workspace, project.id, size_seconds=HOUR)
    before = history.windows[1]
    assert 0.3 < before.labelled_share < 0.7
    # a late label for the second window: only that window is recomputed
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=10**6, flush_seconds=3600)
    labelled = {r[0] for r in rows}  # every id; the ones already labelled are duplicates and change nothing
    missing = [r for r in rows[100:200] if r[0] in labelled][:100]
    for request_id, _, label in missing:
        log.feedback(request_id, label, time=LATER)
    log.close()
    again = refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    assert (again.computed, again.unchanged) == (1, 2)
    after = performance_history(workspace, project.id, size_seconds=HOUR).windows[1]
    assert after.labelled == 100 and after.labelled_share == 1.0 and again.labels.duplicates == before.labelled
    # new objectives change what is tracked: every window is recomputed once
    projects.set_objectives(workspace, actors["analyst"], project.id, ["recall>=0.5", "f1>=0.4", "brier<=0.3"])
    assert refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER).computed == 3
    assert "brier" in performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized
    # windows starting after `now` wait for a later refresh
    fresh = make_project(workspace, actors["analyst"], name="later")
    simulate(workspace, fresh, hours=3, per_hour=20)
    assert refresh_performance(workspace, fresh.id, size_seconds=HOUR, now=START + timedelta(minutes=90)).windows == 2


def test_a_window_without_labels_has_estimates_and_says_why_it_has_no_realized_value(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    simulate(workspace, project, hours=1, per_hour=100, label_share=0.0)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    window = performance_history(workspace, project.id, size_seconds=HOUR).windows[0]
    assert window.labelled == 0 and not window.judgeable
    assert window.realized["recall"].value is None and window.realized["recall"].note == "no labelled rows"
    assert window.estimated["accuracy"].value is not None
    assert "Calibration unknown" in window.estimated["accuracy"].note


def test_fairness_objectives_are_tracked_with_the_fairness_reviews_numbers(workspace, actors):
    project = make_project(workspace, actors["analyst"], objectives=("demographic_parity_difference<=0.2",))
    rows = simulate(workspace, project, hours=1, per_hour=400)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    stored = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized[
        "demographic_parity_difference"]
    _, y, decided = _window(rows, 0, 400)
    sex = np.array(["F" if i % 2 else "M" for i in range(400)])
    assert stored.value == pytest.approx(demographic_parity_difference(y, decided, sensitive_features=sex))
    assert stored.low <= stored.value <= stored.high and stored.details == {"grouping": "sex"}


def test_a_sensitive_attribute_missing_from_the_log_is_said(workspace, actors):
    project = make_project(workspace, actors["analyst"], objectives=("demographic_parity_difference<=0.2",),
                           sensitive=("race",))
    simulate(workspace, project, hours=1, per_hour=60)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    value = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized[
        "demographic_parity_difference"]
    assert value.value is None and "'race'" in value.note and "send it with each request" in value.note


# --- before labels: CBPE -----------------------------------------------------------------------

def test_cbpe_is_nannymls_expected_confusion_matrix_and_roc_auc():
    rng = np.random.default_rng(3)
    p = rng.beta(2, 3, 3000)
    decided = (p >= 0.5).astype(int)
    tp, fp = p[decided == 1].sum(), (1 - p[decided == 1]).sum()
    fn, tn = p[decided == 0].sum(), (1 - p[decided == 0]).sum()
    order = np.argsort(-p)
    tpr, fpr = np.cumsum(p[order]) / p.sum(), np.cumsum(1 - p[order]) / (1 - p).sum()
    got = estimate_binary(p, decided)
    assert got["accuracy"][0] == pytest.approx((tp + tn) / len(p))
    assert got["precision"][0] == pytest.approx(tp / (tp + fp))
    assert got["recall"][0] == pytest.approx(tp / (tp + fn))
    assert got["f1"][0] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert got["roc_auc"][0] == pytest.approx(skm.auc(np.r_[0, fpr], np.r_[0, tpr]))
    assert estimate_binary(np.zeros(5), np.zeros(5))["precision"] == (None, "no prediction is positive (0/0)")


def test_estimates_match_the_realized_values_on_calibrated_traffic_and_miss_on_miscalibrated(workspace, actors):
    """Labels drawn from the logged probabilities (calibrated): every estimate lies within the width
    of the realized value's 95% interval of it (about 4 standard errors). The same traffic with
    inverted labels from the third hour on: the estimate no longer follows the truth."""
    project = make_project(workspace, actors["analyst"])
    simulate(workspace, project, hours=3, per_hour=1500, flip_labels_after=2)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    windows = performance_history(workspace, project.id, size_seconds=HOUR).windows
    for window in windows[:2]:
        for metric in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            realized, estimated = window.realized[metric], window.estimated[metric]
            assert abs(estimated.value - realized.value) <= realized.high - realized.low, (metric, window.window)
    flipped = windows[2]
    assert flipped.realized["accuracy"].value < 0.45 < flipped.estimated["accuracy"].value


def test_calibration_is_read_from_the_validation_curve_and_worded_beside_estimates(workspace, actors):
    rng = np.random.default_rng(0)
    p = rng.beta(2, 3, 4000)
    y = rng.binomial(1, p)
    observed, predicted = calibration_curve(y, p, n_bins=10)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], p), minlength=10)
    counts = counts[counts > 0]
    ece = expected_calibration_error(predicted, observed, counts)
    assert ece == pytest.approx(np.sum(counts * np.abs(observed - predicted)) / counts.sum())
    project = make_project(workspace, actors["analyst"])

    def store(curve):
        with workspace.db.transaction() as cursor:
            model_store.insert_validation(cursor, model_version_id=7, objectives_version=1, passed=True,
                                          report={"calibration": curve, "class_counts": {"0": 700, "1": 300}},
                                          created_by="analyst")

    store({"predicted": list(predicted), "observed": list(observed), "counts": [int(c) for c in counts], "bins": 10})
    good = calibration_of(workspace, 7)
    assert good.calibrated is True and good.ece == pytest.approx(ece) and ece <= MAX_ECE and good.rows == 4000
    skewed = np.clip(observed + 0.2, 0, 1)
    store({"predicted": list(predicted), "observed": list(skewed), "counts": [int(c) for c in counts], "bins": 10})
    bad = calibration_of(workspace, 7)
    assert bad.calibrated is False and "Not calibrated" in bad.text
    simulate(workspace, project, hours=1, per_hour=200)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    history = performance_history(workspace, project.id, size_seconds=HOUR)
    assert history.calibration[7].calibrated is False
    assert "Not calibrated" in history.windows[0].estimated["accuracy"].note


def test_label_drift_against_the_reference_agrees_with_scipy(workspace, actors):
    shift = label_shift({"yes": 90, "no": 110}, {"yes": 300, "no": 700})
    expected = stats.chisquare([110, 90], f_exp=[0.7 * 200, 0.3 * 200])
    assert shift.p_value == pytest.approx(expected.pvalue) and shift.statistic == pytest.approx(expected.statistic)
    assert shift.distance == pytest.approx(0.45 - 0.3)
    assert label_shift({"maybe": 5}, {"yes": 1, "no": 1}).p_value == 0.0
    project = make_project(workspace, actors["analyst"])
    with workspace.db.transaction() as cursor:
        model_store.insert_validation(cursor, model_version_id=7, objectives_version=1, passed=True,
                                      report={"class_counts": {"0": 600, "1": 400}}, created_by="analyst")
    simulate(workspace, project, hours=1, per_hour=300)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    window = performance_history(workspace, project.id, size_seconds=HOUR).windows[0]
    drift = window.realized["label_shift"]
    observed = window.label_counts["yes"] / 300
    assert drift.value == pytest.approx(abs(observed - 0.4))
    assert drift.details["p_value"] == pytest.approx(
        stats.chisquare([300 - window.label_counts["yes"], window.label_counts["yes"]], f_exp=[180, 120]).pvalue)


# --- other tasks --------------------------------------------------------------------------------

def _log_rows(workspace, project, predictions, outputs, labels):
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=10**6, flush_seconds=3600)
    for i, (prediction, output, label) in enumerate(zip(predictions, outputs, labels)):
        at = START + timedelta(seconds=i)
        log.log(request_id=f"m{i}", version_id=3, version=1, role=ANSWER, route="predict", status=200,
                latency_ms=1.0, inputs=[{"x": i}], predictions=[prediction], outputs=[output] if output else (),
                time=at)
        log.feedback(f"m{i}", label, time=at)
    log.close()


def test_multiclass_and_regression_windows_are_scikit_learns(workspace, actors):
    rng = np.random.default_rng(1)
    classes = ["a", "b", "c"]
    proba = rng.dirichlet([1, 1, 1], 150)
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    truth = [classes[rng.choice(3, p=row)] for row in proba]
    multi = make_project(workspace, actors["analyst"], name="multi", task="multiclass", objectives=("f1_macro>=0.3",),
                         sensitive=())
    _log_rows(workspace, multi, predicted, [dict(zip(classes, row)) for row in proba], truth)
    refresh_performance(workspace, multi.id, size_seconds=HOUR, now=LATER)
    window = performance_history(workspace, multi.id, size_seconds=HOUR).windows[0]
    assert window.realized["f1_macro"].value == pytest.approx(skm.f1_score(truth, predicted, average="macro"))
    assert window.realized["balanced_accuracy"].value == pytest.approx(skm.balanced_accuracy_score(truth, predicted))
    assert window.estimated == {}

    values = rng.normal(10, 2, 120)
    guesses = values + rng.normal(0, 1, 120)
    regression = make_project(workspace, actors["analyst"], name="price", task="regression", objectives=("mae<=2",),
                              sensitive=())
    _log_rows(workspace, regression, [float(g) for g in guesses], [None] * 120, [float(v) for v in values])
    refresh_performance(workspace, regression.id, size_seconds=HOUR, now=LATER)
    window = performance_history(workspace, regression.id, size_seconds=HOUR).windows[0]
    assert window.realized["mae"].value == pytest.approx(skm.mean_absolute_error(values, guesses))
    assert window.realized["rmse"].value == pytest.approx(skm.root_mean_squared_error(values, guesses))
