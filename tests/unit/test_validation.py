"""Stage 4 validation core and its charts: numbers checked against scikit-learn and Fairlearn."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from fairlearn import metrics as flm
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from lifecycle.charts import validation_charts as charts
from lifecycle.charts.theme import FAIL, MUTED, PASS, PASS_ICON
from lifecycle.errors import InputError
from lifecycle.problem.metrics import SCORERS
from lifecycle.problem.objectives import make_objective, parse_objective
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.validate.report import ValidationReport, evaluate, judge
from lifecycle.validate.metrics import (bootstrap_indices, bootstrap_replicates,
                                          compute_metric, metric_names, predict_all)
from lifecycle.validate.robustness import _holed, overfitting
from lifecycle.validate.slices import MIN_SLICE
from lifecycle.validate.threshold import THRESHOLDS, analyse_thresholds

FAST = dict(n_bootstrap=40, latency_rows=3)


def _fit(frame: pd.DataFrame, target: str, estimator, sensitive=()) -> tuple:
    recipe = default_recipe(frame, target=target, sensitive=sensitive)
    features = [c for c in frame.columns if c != target]
    train, test = frame.iloc[: len(frame) * 2 // 3], frame.iloc[len(frame) * 2 // 3:]
    pipeline = Pipeline([("prep", compile_recipe(recipe, frame)), ("model", estimator)])
    pipeline.fit(train[features], train[target])
    return pipeline, train[features], train[target], test[features], test[target]


def _binary_frame(n=600, seed=0) -> pd.DataFrame:
    X, y = make_classification(n, n_features=4, n_informative=3, n_redundant=0,
                               random_state=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(X, columns=["age", "income", "tenure", "score"])
    frame["colour"] = rng.choice(["red", "green", "blue", "violet"], n, p=[.4, .35, .2, .05])
    frame["sex"] = rng.choice(["F", "M"], n)
    frame["y"] = y
    return frame


@pytest.fixture(scope="module")
def binary():
    fitted = _fit(_binary_frame(), "y", LogisticRegression(max_iter=1000), sensitive=("sex",))
    pipeline, X_train, y_train, X_test, y_test = fitted
    objectives = [parse_objective(t, task="binary") for t in (
        "roc_auc>=0.5", "advisory:f1>=0.99", "demographic_parity_difference<=0.5",
        "latency_p95_ms<=10000", "drift_psi_max<=0.2")]
    report = evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train, X_test=X_test,
                      y_test=y_test, objectives=objectives, cv_scores={"roc_auc": 0.9},
                      sensitive={"sex": X_test["sex"]}, seed=7, **FAST)
    return fitted, report


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(450, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=1)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = np.array(["cat", "dog", "eel"])[y]
    fitted = _fit(frame, "y", LogisticRegression(max_iter=1000))
    pipeline, X_train, y_train, X_test, y_test = fitted
    report = evaluate(pipeline, task="multiclass", X_train=X_train, y_train=y_train,
                      X_test=X_test, y_test=y_test, objectives=[], cv_scores=None,
                      sensitive=None, **FAST)
    return fitted, report


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(450, n_features=3, noise=10.0, random_state=2)
    frame = pd.DataFrame(X, columns=["area", "rooms", "age"])
    frame["region"] = np.random.default_rng(2).choice(["north", "south"], 450)
    frame["y"] = y + 300
    fitted = _fit(frame, "y", Ridge())
    pipeline, X_train, y_train, X_test, y_test = fitted
    report = evaluate(pipeline, task="regression", X_train=X_train, y_train=y_train,
                      X_test=X_test, y_test=y_test, objectives=[make_objective(
                          "rmse", "<=", 1000.0, task="regression")],
                      cv_scores={"rmse": 11.0}, sensitive={"region": X_test["region"]}, **FAST)
    return fitted, report


@pytest.fixture(params=["binary", "multiclass", "regression"])
def any_task(request):
    return request.param, request.getfixturevalue(request.param)


# ----------------------------------------------------------------------------- metrics

def test_every_metric_equals_the_scikit_learn_scorer(any_task):
    task, ((pipeline, _, _, X_test, y_test), report) = any_task
    assert set(report.metrics) == set(metric_names(task))
    for name, estimate in report.metrics.items():
        scoring, sign = SCORERS[name]
        expected = sign * skm.get_scorer(scoring)(pipeline, X_test, y_test)
        assert estimate.value == pytest.approx(expected, rel=1e-12, abs=1e-12), name
        assert estimate.n == len(X_test)


def test_intervals_contain_the_estimate_and_repeat_with_the_seed(binary):
    (pipeline, X_train, y_train, X_test, y_test), report = binary
    for name, estimate in report.metrics.items():
        assert estimate.low <= estimate.value <= estimate.high, name
    p, _ = predict_all(pipeline, "binary", X_test, y_test)
    names = metric_names("binary")
    first = bootstrap_replicates(names, p, n_bootstrap=40, seed=7)
    again = bootstrap_replicates(names, p, n_bootstrap=40, seed=7)
    other = bootstrap_replicates(names, p, n_bootstrap=40, seed=8)
    assert all(np.array_equal(first[n], again[n]) for n in names)
    assert not np.array_equal(first["accuracy"], other["accuracy"])
    low, high = np.percentile(first["roc_auc"], [2.5, 97.5])
    assert (report.metrics["roc_auc"].low, report.metrics["roc_auc"].high) == (low, high)


def test_each_bootstrap_replicate_equals_scikit_learn_on_its_resample(any_task):
    task, ((pipeline, _, _, X_test, y_test), _) = any_task
    p, _ = predict_all(pipeline, task, X_test, y_test)
    names = metric_names(task)
    replicates = bootstrap_replicates(names, p, n_bootstrap=6, seed=3)
    indices = np.concatenate(list(bootstrap_indices(len(p), 6, seed=3)))
    for b, rows in enumerate(indices):
        for name in names:
            expected, _ = compute_metric(name, p.take(rows))
            assert replicates[name][b] == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_binary_curves_come_from_scikit_learn(binary):
    (pipeline, _, _, X_test, y_test), report = binary
    scores = pipeline.predict_proba(X_test)[:, 1]
    fpr, tpr, _ = skm.roc_curve(y_test, scores)
    assert report.roc.x == tuple(fpr) and report.roc.y == tuple(tpr)
    precision, recall, _ = skm.precision_recall_curve(y_test, scores)
    assert report.precision_recall.x == tuple(recall)
    observed, predicted = calibration_curve(y_test, scores, n_bins=10)
    assert report.calibration.observed == pytest.approx(tuple(observed))
    assert report.calibration.predicted == pytest.approx(tuple(predicted))
    assert sum(report.calibration.counts) == len(y_test)
    expected = skm.confusion_matrix(y_test, pipeline.predict(X_test), labels=[0, 1])
    assert report.decision_threshold is None
    assert np.array_equal(np.array(report.confusion.counts), expected)


def test_multiclass_confusion_and_per_class(multiclass):
    (pipeline, _, _, X_test, y_test), report = multiclass
    predicted = pipeline.predict(X_test)
    labels = ["cat", "dog", "eel"]
    assert report.confusion.labels == tuple(labels) and report.classes == tuple(labels)
    assert np.array_equal(np.array(report.confusion.counts),
                          skm.confusion_matrix(y_test, predicted, labels=labels))
    precision, recall, _, support = skm.precision_recall_fscore_support(y_test, predicted,
                                                                        labels=labels)
    assert [c.precision for c in report.per_class] == pytest.approx(list(precision))
    assert [c.recall for c in report.per_class] == pytest.approx(list(recall))
    assert [c.support for c in report.per_class] == list(support)


def test_regression_residuals(regression):
    (pipeline, _, _, X_test, y_test), report = regression
    assert sum(report.residuals.histogram_counts) == len(y_test) == report.residuals.rows
    assert report.residuals.predicted == pytest.approx(tuple(pipeline.predict(X_test)))
    assert report.thresholds is None and report.confusion is None


# ----------------------------------------------------------------------------- threshold

def test_cost_optimal_threshold_equals_a_brute_force_search(binary):
    (pipeline, _, _, X_test, y_test), _ = binary
    scores, y = pipeline.predict_proba(X_test)[:, 1], y_test.to_numpy()
    analysis = analyse_thresholds(y, scores, {"fn": 5, "fp": 1})
    positive = y == 1
    brute = [(5 * np.sum(positive & (scores < t)) + np.sum(~positive & (scores >= t))) / len(y)
             for t in THRESHOLDS]
    assert analysis.cost == pytest.approx(tuple(brute))
    assert analysis.best_threshold == THRESHOLDS[int(np.argmin(brute))]
    assert analysis.criterion == "cost" and analysis.at_best["cost"] == pytest.approx(min(brute))
    tn, fp, fn, tp = skm.confusion_matrix(
        y, (scores >= analysis.best_threshold).astype(int)).ravel()
    assert (5 * fn + fp) / len(y) == pytest.approx(min(brute))
    assert analysis.at_best["tp"] == tp and analysis.at_best["fp"] == fp
    f1_only = analyse_thresholds(y, scores)
    f1s = [skm.f1_score(y, (scores >= t).astype(int), zero_division=0.0) for t in THRESHOLDS[::7]]
    assert f1_only.f1[::7] == pytest.approx(tuple(f1s))
    f1s = [2 * np.sum(positive & (scores >= t)) / (np.sum(scores >= t) + positive.sum())
           for t in THRESHOLDS]
    assert f1_only.best_threshold == THRESHOLDS[int(np.argmax(f1s))]


def test_cost_matrix_moves_the_decisions(binary):
    (pipeline, X_train, y_train, X_test, y_test), _ = binary
    report = evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train,
                      X_test=X_test, y_test=y_test, objectives=[], cv_scores=None,
                      sensitive=None, cost_matrix={"fn": 5, "fp": 1}, **FAST)
    t = report.thresholds.best_threshold
    assert report.decision_threshold == t == report.confusion.threshold
    decisions = (pipeline.predict_proba(X_test)[:, 1] >= t).astype(int)
    assert np.array_equal(np.array(report.confusion.counts),
                          skm.confusion_matrix(y_test, decisions, labels=[0, 1]))


@pytest.mark.parametrize("cost", [{"fn": 5}, {"fn": -1, "fp": 1}, {"fn": 0, "fp": 0}, [5, 1]])
def test_a_bad_cost_matrix_is_refused(cost):
    with pytest.raises(InputError, match="cost"):
        analyse_thresholds(np.array([0, 1]), np.array([0.2, 0.8]), cost)


# ----------------------------------------------------------------------------- slices

def test_one_slice_equals_scikit_learn_on_that_subset(binary):
    (pipeline, _, _, X_test, y_test), report = binary
    red = next(s for s in report.slices if s.column == "colour" and s.value == "red")
    mask = (X_test["colour"] == "red").to_numpy()
    assert red.rows == mask.sum()
    expected_auc = skm.roc_auc_score(y_test[mask], pipeline.predict_proba(X_test[mask])[:, 1])
    assert red.metrics["roc_auc"] == pytest.approx(expected_auc)
    assert red.metrics["accuracy"] == pytest.approx(
        skm.accuracy_score(y_test[mask], pipeline.predict(X_test[mask])))
    violet = next(s for s in report.slices if s.column == "colour" and s.value == "violet")
    assert violet.rows < MIN_SLICE and violet.small
    age_bins = [s for s in report.slices if s.column == "age"]
    assert len(age_bins) == 5 and sum(s.rows for s in age_bins) == len(X_test)
    assert {s.column for s in report.slices} >= {"sex"}  # sensitive attributes are sliced too


def test_weakest_cohorts_are_described_in_source_column_names():
    rng = np.random.default_rng(5)
    n = 900
    frame = pd.DataFrame({"age": rng.normal(40, 10, n), "hours": rng.normal(40, 5, n),
                          "relationship": rng.choice(["Husband", "Own-child", "Wife"], n)})
    y = (frame["age"] > 40).astype(int).to_numpy().copy()
    noisy = (frame["relationship"] == "Own-child").to_numpy()
    y[noisy] = rng.integers(0, 2, noisy.sum())
    frame["y"] = y
    pipeline, X_train, y_train, X_test, y_test = _fit(frame, "y", LogisticRegression())
    report = evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train, X_test=X_test,
                      y_test=y_test, objectives=[], **FAST)
    found = report.weakest_cohorts
    assert found.cohorts and found.error_definition == "misclassified"
    top = found.cohorts[0]
    assert "relationship = Own-child" in top.conditions
    for condition in (c for cohort in found.cohorts for c in cohort.conditions):
        assert any(column in condition for column in X_test.columns)
        assert "__" not in condition
    errors = pipeline.predict(X_test) != y_test.to_numpy()
    assert found.overall_error_rate == pytest.approx(errors.mean())
    assert top.error_rate > found.overall_error_rate and top.rows >= found.min_rows


# ----------------------------------------------------------------------------- fairness

def test_fairness_equals_fairlearn(binary, regression):
    (pipeline, _, _, X_test, y_test), report = binary
    decisions, sex = pipeline.predict(X_test), X_test["sex"]
    (result,) = report.fairness
    assert result.groups == sex.value_counts().to_dict()
    for name, function in [("demographic_parity_difference", flm.demographic_parity_difference),
                           ("demographic_parity_ratio", flm.demographic_parity_ratio),
                           ("equalized_odds_difference", flm.equalized_odds_difference),
                           ("equalized_odds_ratio", flm.equalized_odds_ratio)]:
        assert result.values[name] == pytest.approx(
            function(y_test, decisions, sensitive_features=sex)), name
    (pipeline, _, _, X_test, y_test), report = regression
    frame = flm.MetricFrame(metrics=skm.mean_absolute_error, y_true=y_test,
                            y_pred=pipeline.predict(X_test),
                            sensitive_features=X_test["region"])
    assert report.fairness[0].values["group_mae_difference"] == pytest.approx(
        frame.difference())


# ----------------------------------------------------------------------------- verdicts

def test_verdict_statuses_follow_the_thresholds(binary):
    _, report = binary
    auc = report.metrics["roc_auc"].value
    parity = report.fairness[0].values["demographic_parity_difference"]
    p95 = report.latency.p95_ms

    def status(metric, threshold):
        objective = make_objective(metric, ">=" if metric == "roc_auc" else "<=", threshold,
                                   task="binary")
        return judge(objective, task="binary", metrics=report.metrics,
                     fairness_results=report.fairness, latency=report.latency)

    assert status("roc_auc", auc - 0.01).status == "pass"
    below = status("roc_auc", min(auc + 0.01, 1.0))
    assert below.status == "fail" and below.value == auc and below.low is not None
    assert status("demographic_parity_difference", parity + 0.01).status == "pass"
    assert status("demographic_parity_difference", max(parity - 0.01, 0.0)).status == "fail"
    assert status("latency_p95_ms", p95 * 2).status == "pass"
    assert status("latency_p95_ms", p95 / 2).status == "fail"
    drift = next(v for v in report.verdicts if v.kind == "drift")
    assert drift.status == "not judged" and "Monitor" in drift.reason


def test_passed_needs_every_blocking_objective(binary):
    _, report = binary
    by_metric = {v.metric: v for v in report.verdicts}
    assert by_metric["f1"].status == "fail" and not by_metric["f1"].blocking
    assert by_metric["drift_psi_max"].blocking and by_metric["drift_psi_max"].status == "not judged"
    assert report.passed  # advisory failure and a drift objective do not block
    blocking_fail = ValidationReport.from_dict(report.to_dict() | {"verdicts": [
        dict(v.__dict__, status="fail") if v.metric == "roc_auc" else v.__dict__
        for v in report.verdicts]})
    assert not blocking_fail.passed and "roc_auc" in blocking_fail.summary


def test_fairness_objective_without_sensitive_values_fails(multiclass):
    _, report = multiclass
    objective = parse_objective("demographic_parity_difference<=0.1", task="multiclass")
    verdict = judge(objective, task="multiclass", metrics=report.metrics, fairness_results=(),
                    latency=report.latency)
    assert verdict.status == "fail" and "sensitive" in verdict.reason


def test_roc_auc_with_one_class_fails_with_a_reason(binary):
    (pipeline, X_train, y_train, X_test, y_test), _ = binary
    negatives = (y_test == 0).to_numpy()
    report = evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train,
                      X_test=X_test[negatives], y_test=y_test[negatives],
                      objectives=[parse_objective("roc_auc>=0.7", task="binary")],
                      sensitive={"sex": X_test["sex"][negatives]}, **FAST)
    assert report.metrics["roc_auc"].value is None and report.roc is None
    (verdict,) = report.verdicts
    assert verdict.status == "fail" and "both classes" in verdict.reason
    assert not report.passed
    json.dumps(report.to_dict(), allow_nan=False)


# ----------------------------------------------------------------------------- the rest

def test_json_round_trip(any_task):
    _, (_, report) = any_task
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert ValidationReport.from_dict(json.loads(text)) == report


def test_overfitting_gap_and_flag(binary, regression):
    _, report = binary
    gap = report.overfitting
    assert gap.metric == "roc_auc" and gap.cv == 0.9 and gap.basis == "absolute"
    assert gap.train_test_gap == pytest.approx(gap.train - gap.test)
    assert overfitting("roc_auc", train=0.95, cv=0.9, test=0.85, threshold=0.05).flagged
    assert not overfitting("roc_auc", train=0.88, cv=0.9, test=0.85, threshold=0.05).flagged
    relative = overfitting("rmse", train=8.0, cv=9.0, test=10.0, threshold=0.05)
    assert relative.basis == "relative" and relative.relative_gap == pytest.approx(0.2)
    assert relative.flagged and relative.train_test_gap == pytest.approx(2.0)
    assert regression[1].overfitting.metric == "rmse"


def test_robustness_is_seeded_and_scored_against_clean(any_task):
    task, ((pipeline, X_train, y_train, X_test, y_test), report) = any_task
    kinds = {c.perturbation for c in report.robustness}
    assert kinds == {"noise", "missing", "swap"}
    clean = report.metrics[report.primary_metric].value
    for check in report.robustness:
        if check.score is not None:
            assert check.drop == pytest.approx(clean - check.score if task != "regression"
                                               else check.score - clean)
    holed, _ = _holed(X_test, list(X_test.columns), 0.10, np.random.default_rng(0))
    assert (holed.isna().sum() == round(0.10 * len(X_test))).all()


def test_bad_input_is_refused(binary):
    (pipeline, X_train, y_train, X_test, y_test), _ = binary
    with pytest.raises(InputError, match="0/1"):
        evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train, X_test=X_test,
                 y_test=y_test.map({0: "no", 1: "yes"}), objectives=[], **FAST)
    with pytest.raises(InputError, match="rows"):
        evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train, X_test=X_test,
                 y_test=y_test[:10], objectives=[], **FAST)


# ----------------------------------------------------------------------------- charts
def test_binary_charts(binary):
    _, report = binary
    figures = [charts.confusion_figure(report.confusion),
               charts.roc_figure(report.roc, report.metrics["roc_auc"]),
               charts.precision_recall_figure(report.precision_recall,
                                              report.metrics["average_precision"], 0.5),
               charts.calibration_figure(report.calibration),
               charts.threshold_figure(report.thresholds, 0.3),
               charts.robustness_figure(report.robustness, report.primary_metric),
               charts.slices_figure(report.slices, "colour", "accuracy",
                                    report.metrics["accuracy"].value),
               charts.metrics_figure(report.metrics, report.verdicts)]
    for fig in figures:
        assert isinstance(fig, go.Figure) and fig.layout.title.text
        fig.to_json()
    assert "AUC" in figures[1].layout.title.text
    heat = figures[0].data[0]
    assert [list(r) for r in heat.z] == [list(r) for r in report.confusion.counts]
    marked = {shape.x0 for shape in figures[4].layout.shapes}
    assert {report.thresholds.best_threshold, 0.3} <= marked


def test_small_slices_are_greyed(binary):
    _, report = binary
    fig = charts.slices_figure(report.slices, "colour", "accuracy")
    rows = [s for s in report.slices if s.column == "colour"]
    colours = list(fig.data[0].marker.color)
    assert any(s.rows < MIN_SLICE for s in rows)
    for s, colour in zip(rows, colours):
        assert (colour == MUTED) == s.small


def test_metrics_chart_shows_status_by_colour_and_word(binary):
    _, report = binary
    fig = charts.metrics_figure(report.metrics, report.verdicts)
    texts = [a.text for a in fig.layout.annotations]
    assert any(t.startswith(PASS_ICON) and "pass: roc_auc" in t for t in texts)
    assert any("fail: f1" in t for t in texts)
    colours = {tr.marker.color for tr in fig.data}
    assert {PASS, FAIL} <= colours


@pytest.mark.parametrize("fixture", ["multiclass", "regression"])
def test_other_tasks_render_and_empty_states_teach(fixture, request):
    _, report = request.getfixturevalue(fixture)
    for fig in (charts.confusion_figure(report.confusion),
                charts.residual_scatter_figure(report.residuals),
                charts.residual_histogram_figure(report.residuals),
                charts.threshold_figure(report.thresholds),
                charts.roc_figure(report.roc),
                charts.metrics_figure(report.metrics, report.verdicts)):
        fig.to_json()
    assert charts.roc_figure(None).layout.annotations[0].text.startswith("The ROC curve needs")


def test_fairness_objectives_are_judged_on_the_review_the_panel_shows(binary):
    """Same decisions, small groups left out, the worst grouping with its bootstrap interval."""
    from lifecycle.validate.fairness_review import review
    (pipeline, _, _, X_test, y_test), report = binary
    verdict = next(v for v in report.verdicts if v.metric == "demographic_parity_difference")
    expected = review("binary", y_test.to_numpy().astype(int), pipeline.predict(X_test).astype(int),
                      pd.DataFrame({"sex": X_test["sex"].to_numpy(dtype=object)}), seed=report.seed,
                      n_bootstrap=report.n_bootstrap)
    disparity, grouping = expected.worst("demographic_parity_difference")
    assert (verdict.value, verdict.low, verdict.high) == (disparity.value, disparity.low, disparity.high)
    assert verdict.low <= verdict.value <= verdict.high and f"worst grouping: {grouping}" in verdict.reason
    # With every group under the minimum size nothing is compared, and the verdict says why.
    tiny = review("binary", y_test.to_numpy().astype(int)[:20], pipeline.predict(X_test).astype(int)[:20],
                  pd.DataFrame({"sex": X_test["sex"].to_numpy(dtype=object)[:20]}), n_bootstrap=10)
    objective = parse_objective("demographic_parity_difference<=0.5", task="binary")
    judged = judge(objective, task="binary", metrics=report.metrics, fairness_results=report.fairness,
                   latency=report.latency, fairness_review=tiny)
    assert judged.status == "fail" and "at least 30 test rows" in judged.reason


def test_verdict_statuses_are_one_enum_stored_as_plain_strings(binary):
    from lifecycle.validate.verdicts import Status
    _, report = binary
    assert all(isinstance(v.status, Status) for v in report.verdicts)
    stored = json.loads(json.dumps(report.to_dict()))
    assert {v["status"] for v in stored["verdicts"]} <= {"pass", "fail", "not judged"}
    again = ValidationReport.from_dict(stored)
    assert again == report and all(isinstance(v.status, Status) for v in again.verdicts)


# -- undefined metrics and intervals from too few cases (issue 10, case 6) ----------------

def _rare_predictions(positives=(7,), n=40, predicted=()):
    from lifecycle.validate.metrics import Predictions
    y = np.zeros(n, dtype=int)
    y[list(positives)] = 1
    labels = np.zeros(n, dtype=int)
    labels[list(predicted)] = 1
    score = np.linspace(0.01, 0.4, n)
    return Predictions(task="binary", y=y, labels=labels, proba=np.column_stack([1 - score, score]),
                       ranking=score, classes=(0, 1))


def test_zero_over_zero_precision_is_undefined_with_the_reason_not_zero():
    p = _rare_predictions()
    assert np.isnan(skm.precision_score(p.y, p.labels, zero_division=np.nan))  # the library agrees: 0/0
    value, note = compute_metric("precision", p)
    assert value is None and "undefined (0/0)" in note and "predicts none of the 40 rows as positive" in note
    assert compute_metric("recall", p) == (0.0, "")  # 0 of 1 positive found: defined, and 0
    no_positive = _rare_predictions(positives=())
    assert compute_metric("recall", no_positive)[1].startswith("Recall")
    assert "undefined (0/0)" in compute_metric("f1", no_positive)[1]
    assert "needs both classes" in compute_metric("roc_auc", no_positive)[1]


def test_resamples_keep_zero_over_zero_undefined_as_scikit_learn_does():
    p = _rare_predictions(positives=(3, 9), predicted=(3, 20))
    replicates = bootstrap_replicates(["precision", "recall", "f1"], p, n_bootstrap=30, seed=1)
    for k, rows in enumerate(next(bootstrap_indices(len(p), 30, 1))):
        for name, function in (("precision", skm.precision_score), ("recall", skm.recall_score),
                               ("f1", skm.f1_score)):
            expected = function(p.y[rows], p.labels[rows], zero_division=np.nan)
            np.testing.assert_allclose(replicates[name][k], expected, equal_nan=True)


def test_intervals_from_one_positive_are_flagged_unreliable_with_the_count():
    from lifecycle.validate.metrics import MIN_CLASS_ROWS, estimate_metrics
    estimates = estimate_metrics(_rare_predictions(), metric_names("binary"), n_bootstrap=50, seed=0)
    assert estimates["roc_auc"].value is not None
    assert estimates["roc_auc"].unreliable == (f"The interval rests on 1 positive row(s) of 40; with fewer "
                                               f"than {MIN_CLASS_ROWS} it is unreliable.")
    assert estimates["accuracy"].unreliable == ""  # a row average: every row counts
    assert estimates["precision"].value is None and estimates["precision"].unreliable == ""
    balanced = _rare_predictions(positives=range(0, 40, 2), predicted=range(0, 40, 3))
    assert all(not e.unreliable for e in estimate_metrics(balanced, metric_names("binary"), n_bootstrap=20,
                                                          seed=0).values())


def test_verdict_never_passes_on_an_undefined_value_and_says_when_unreliable():
    from lifecycle.validate.fairness_metrics import Latency
    from lifecycle.validate.metrics import estimate_metrics
    from lifecycle.validate.verdicts import Status
    metrics = estimate_metrics(_rare_predictions(), metric_names("binary"), n_bootstrap=50, seed=0)
    latency = Latency(p50_ms=None, p95_ms=None, rows_timed=0, method="predict", batch_rows=0,
                      batch_rows_per_second=None)
    for text in ("precision>=0.0", "advisory:precision>=0.0"):
        verdict = judge(parse_objective(text, task="binary"), task="binary", metrics=metrics,
                        fairness_results=(), latency=latency)
        assert verdict.status == Status.FAIL and verdict.value is None
        assert "cannot pass" in verdict.reason and "undefined (0/0)" in verdict.reason
    verdict = judge(parse_objective("roc_auc>=0.1", task="binary"), task="binary", metrics=metrics,
                    fairness_results=(), latency=latency)
    assert verdict.status == Status.PASS and "rests on 1 positive row(s) of 40" in verdict.reason


def test_report_counts_the_positives_of_the_test_split():
    frame = _binary_frame(300, seed=3)
    frame["y"] = 0
    frame.loc[[5, 80, 250], "y"] = 1  # one positive lands in the test third
    pipeline, X_train, y_train, X_test, y_test = _fit(frame, "y", LogisticRegression(max_iter=1000))
    report = evaluate(pipeline, task="binary", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                      objectives=[parse_objective("precision>=0.5", task="binary")], **FAST)
    assert report.class_counts == {"0": 99, "1": 1} and report.positives == 1
    assert report.class_count_text == "1 positive and 99 negative of 100 test rows"
    assert not report.passed and report.metrics["precision"].value is None
    assert ValidationReport.from_dict(json.loads(json.dumps(report.to_dict()))).positives == 1
