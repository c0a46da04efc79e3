"""Fairness review: every number checked against Fairlearn's own functions on the same rows,
the vectorised bootstrap against Fairlearn on the same resamples, bad input taught, and the
review stored as evidence of a registered model version."""
from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from fairlearn import metrics as flm
from sklearn import metrics as skm

from lifecycle import audit, evidence
from lifecycle.validate import fairness_bootstrap
from lifecycle.models import registry
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.charts import fairness_charts
from lifecycle.errors import InputError
from lifecycle.review.fairness_evidence import fairness_objectives, review_version, stored_review
from lifecycle.problem.objectives import parse_objective
from lifecycle.validate.fairness_review import INTERSECTION, MAX_GROUPS, FairnessReport, review
from lifecycle.develop.search import run_search
from lifecycle.validate.groups import MISSING_GROUP

FAIRLEARN_DISPARITIES = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
}


def _binary(n=900, seed=0):
    """Decisions that favour sex M and race a; race 'e' is a handful of rows (never M)."""
    rng = np.random.default_rng(seed)
    sensitive = pd.DataFrame({"sex": rng.choice(["F", "M"], n),
                              "race": rng.choice(["a", "b", "c", "e"], n, p=[.6, .25, .13, .02])})
    sensitive.loc[sensitive.race == "e", "sex"] = "F"
    y = rng.integers(0, 2, n)
    favoured = 0.25 + 0.2 * (sensitive.sex == "M") + 0.1 * (sensitive.race == "a") + 0.3 * y
    decisions = (rng.random(n) < favoured).astype(int)
    return y, decisions, sensitive


def _grouping_features(sensitive: pd.DataFrame, grouping) -> pd.DataFrame | pd.Series:
    columns = list(grouping.attributes)
    return sensitive[columns[0]] if len(columns) == 1 else sensitive[columns]


def _group_label(key) -> str:
    return INTERSECTION.join(key) if isinstance(key, tuple) else str(key)


def _same(value: float | None, expected: float, what: str) -> None:
    """Fairlearn's NaN is None in a report."""
    assert (value is None) if np.isnan(expected) else value == pytest.approx(expected, abs=1e-12), what


def _compared_rows(sensitive: pd.DataFrame, grouping) -> np.ndarray:
    labels = sensitive[list(grouping.attributes)].astype(str).agg(INTERSECTION.join, axis=1)
    return ~labels.isin(grouping.excluded).to_numpy()


@pytest.fixture(scope="module")
def binary_case():
    y, decisions, sensitive = _binary()
    return y, decisions, sensitive, review("binary", y, decisions, sensitive, seed=3, n_bootstrap=60)


# ----------------------------------------------------------------------------- point values

def test_group_metrics_equal_fairlearn_metric_frame(binary_case):
    y, decisions, sensitive, report = binary_case
    assert [g.name for g in report.groupings] == ["sex", "race", f"sex{INTERSECTION}race"]
    for grouping in report.groupings:
        frame = flm.MetricFrame(
            metrics={"count": flm.count, "selection_rate": flm.selection_rate,
                     "true_positive_rate": flm.true_positive_rate,
                     "false_positive_rate": flm.false_positive_rate,
                     "precision": partial(skm.precision_score, zero_division=np.nan),
                     "accuracy": skm.accuracy_score},
            y_true=y, y_pred=decisions, sensitive_features=_grouping_features(sensitive, grouping))
        expected = frame.by_group.dropna(subset=["count"])  # combinations with no rows
        assert [g.group for g in grouping.groups] == [_group_label(k) for k in expected.index]
        for group, (_, row) in zip(grouping.groups, expected.iterrows()):
            assert group.count == row["count"]
            for metric, value in group.metrics.items():
                assert value == pytest.approx(row[metric], abs=1e-12), (grouping.name, group.group, metric)
        for metric, value in grouping.overall.items():
            assert value == pytest.approx(frame.overall[metric], abs=1e-12)


def test_disparities_equal_fairlearn_on_the_compared_groups(binary_case):
    y, decisions, sensitive, report = binary_case
    for grouping in report.groupings:
        rows = _compared_rows(sensitive, grouping)
        features = _grouping_features(sensitive[rows], grouping)
        for metric, function in FAIRLEARN_DISPARITIES.items():
            expected = function(y[rows], decisions[rows], sensitive_features=features)
            assert grouping.disparity(metric).value == pytest.approx(expected, abs=1e-12), (grouping.name, metric)


def test_small_groups_are_flagged_named_and_left_out(binary_case):
    _, _, _, report = binary_case
    race, intersection = report.groupings[1], report.groupings[2]
    assert race.excluded == ("e",)
    assert [g.group for g in race.groups if g.small] == ["e"]
    assert any("'e' (" in note and "not compared" in note for note in race.notes)
    assert f"F{INTERSECTION}e" in intersection.excluded
    assert not report.groupings[0].excluded


def test_multiclass_is_one_vs_rest_and_worst_over_classes():
    rng = np.random.default_rng(1)
    n = 600
    sensitive = pd.DataFrame({"region": rng.choice(["north", "south", "west"], n)})
    classes = ("cat", "dog", "eel")
    y = rng.choice(classes, n)
    decisions = np.where(rng.random(n) < 0.7, y, rng.choice(classes, n))
    report = review("multiclass", y, decisions, sensitive, classes=classes, n_bootstrap=0)
    grouping = report.groupings[0]
    frame = flm.MetricFrame(metrics={"accuracy": skm.accuracy_score,
                                     **{f"selection_rate:{c}": partial(flm.selection_rate, pos_label=c)
                                        for c in classes}},
                            y_true=y, y_pred=decisions, sensitive_features=sensitive["region"])
    for group in grouping.groups:
        for metric, value in group.metrics.items():
            assert value == pytest.approx(frame.by_group.loc[group.group, metric], abs=1e-12)
    for metric, function in FAIRLEARN_DISPARITIES.items():
        per_class = [function((y == c).astype(int), (decisions == c).astype(int),
                              sensitive_features=sensitive["region"]) for c in classes]
        expected = min(per_class) if metric.endswith("ratio") else max(per_class)
        assert grouping.disparity(metric).value == pytest.approx(expected, abs=1e-12)
    assert any("one-vs-rest" in note for note in report.notes)


def test_regression_gaps_equal_metric_frame():
    rng = np.random.default_rng(2)
    n = 500
    sensitive = pd.DataFrame({"band": rng.choice(["x", "y"], n)})
    y = rng.normal(10, 3, n)
    predicted = y + rng.normal(0, 1 + (sensitive.band == "y"), n)
    report = review("regression", y, predicted, sensitive, n_bootstrap=30)
    frame = flm.MetricFrame(metrics={"mae": skm.mean_absolute_error, "rmse": skm.root_mean_squared_error},
                            y_true=y, y_pred=predicted, sensitive_features=sensitive["band"])
    grouping = report.groupings[0]
    for group in grouping.groups:
        assert group.metrics["mae"] == pytest.approx(frame.by_group.loc[group.group, "mae"])
        assert group.metrics["rmse"] == pytest.approx(frame.by_group.loc[group.group, "rmse"])
    assert grouping.disparity("group_mae_difference").value == pytest.approx(frame.difference()["mae"])
    assert grouping.disparity("group_mae_ratio").value == pytest.approx(frame.ratio()["mae"])
    assert grouping.disparity("group_rmse_difference").value == pytest.approx(frame.difference()["rmse"])
    assert grouping.disparity("group_rmse_ratio").value == pytest.approx(frame.ratio()["rmse"])


def test_fairlearn_edge_conventions_are_kept():
    """No positive decision at all: ratios are undefined (NaN in Fairlearn, None here); a group
    without positive rows has a true positive rate of 0, and a note says so."""
    sensitive = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40})
    y = np.array([0, 1] * 20 + [0] * 40)
    never = np.zeros(80, dtype=int)
    grouping = review("binary", y, never, sensitive, n_bootstrap=10).groupings[0]
    for metric, function in FAIRLEARN_DISPARITIES.items():
        _same(grouping.disparity(metric).value, function(y, never, sensitive_features=sensitive["g"]), metric)
    assert "largest group rate is 0" in grouping.disparity("demographic_parity_ratio").note
    for decided in (np.array([1, 0] * 40), np.array([1, 1, 0, 0] * 20)):
        grouping = review("binary", y, decided, sensitive, n_bootstrap=0).groupings[0]
        for metric, function in FAIRLEARN_DISPARITIES.items():
            _same(grouping.disparity(metric).value, function(y, decided, sensitive_features=sensitive["g"]), metric)
    assert any("'b' has no positive test rows" in note for note in grouping.notes)


# ----------------------------------------------------------------------------- the bootstrap

def test_bootstrap_resamples_give_fairlearns_values_and_the_percentile_interval():
    """The interval is the percentile interval of Fairlearn's own values on the same resamples."""
    y, decisions, sensitive = _binary(n=300, seed=4)
    n_bootstrap, seed = 5, 11
    report = review("binary", y, decisions, sensitive, seed=seed, n_bootstrap=n_bootstrap, min_group_size=1)
    strata = sensitive.astype(str).agg("|".join, axis=1).to_numpy()
    strata = np.unique(strata, return_inverse=True)[1]
    resamples = np.concatenate(list(fairness_bootstrap.stratified_resamples(strata, n_bootstrap, seed)))
    assert resamples.shape == (n_bootstrap, 300)
    assert (strata[resamples] == strata).all()  # every row is drawn from its own stratum
    for grouping in report.groupings:
        for metric, function in FAIRLEARN_DISPARITIES.items():
            values = [function(y[rows], decisions[rows], sensitive_features=_grouping_features(
                sensitive.iloc[rows].reset_index(drop=True), grouping)) for rows in resamples]
            low, high = np.percentile(values, [2.5, 97.5])
            found = grouping.disparity(metric)
            assert (found.low, found.high) == (pytest.approx(low), pytest.approx(high)), (grouping.name, metric)
            assert found.defined_resamples == n_bootstrap


def test_bootstrap_is_seeded_and_contains_the_value(binary_case):
    y, decisions, sensitive, report = binary_case
    again = review("binary", y, decisions, sensitive, seed=3, n_bootstrap=60)
    other = review("binary", y, decisions, sensitive, seed=4, n_bootstrap=60)
    assert again == report
    assert other.groupings[0].disparities != report.groupings[0].disparities
    for disparity in report.groupings[0].disparities:
        assert disparity.low <= disparity.value <= disparity.high, disparity


def test_resamples_come_in_chunks_with_the_same_draws(monkeypatch):
    strata = np.repeat([0, 1, 2], [5, 10, 15])
    whole = np.concatenate(list(fairness_bootstrap.stratified_resamples(strata, 9, 5)))
    monkeypatch.setattr(fairness_bootstrap, "_CELLS_PER_CHUNK", 60)  # 2 resamples a chunk
    chunks = list(fairness_bootstrap.stratified_resamples(strata, 9, 5))
    assert [len(c) for c in chunks] == [2, 2, 2, 2, 1]
    assert np.concatenate(chunks).shape == whole.shape


# ----------------------------------------------------------------------------- bad input

def test_missing_values_form_an_explicit_group():
    y, decisions, sensitive = _binary(n=200)
    sensitive.loc[:39, "sex"] = None
    report = review("binary", y, decisions, sensitive[["sex"]], n_bootstrap=0)
    assert MISSING_GROUP in [g.group for g in report.groupings[0].groups]
    assert any("40 test rows have no value for 'sex'" in note for note in report.notes)


def test_a_single_group_is_explained_not_compared():
    report = review("binary", np.array([0, 1] * 50), np.array([1, 1, 0, 0] * 25),
                    pd.DataFrame({"country": ["NZ"] * 100}), n_bootstrap=5)
    grouping = report.groupings[0]
    assert all(d.value is None for d in grouping.disparities)
    assert "single group ('NZ')" in grouping.notes[0]
    assert report.summary == "Fairness by country: no groups large enough to compare."


def test_a_handful_of_rows_leaves_nothing_to_compare():
    sensitive = pd.DataFrame({"g": ["a"] * 95 + ["b"] * 5})
    grouping = review("binary", np.array([0, 1] * 50), np.array([1, 0] * 50), sensitive,
                      n_bootstrap=5).groupings[0]
    assert grouping.excluded == ("b",) and all(d.value is None for d in grouping.disparities)
    assert any("Fewer than two groups of 'g' have 30 rows" in note for note in grouping.notes)


@pytest.mark.parametrize("change, message", [
    (dict(sensitive=pd.DataFrame(index=range(10))), "No sensitive attribute"),
    (dict(sensitive=pd.DataFrame({"g": ["a", "b"] * 4})), "8 sensitive rows"),
    (dict(sensitive=pd.DataFrame({"age": np.arange(10) * 1.5 + 0.1})), None),
    (dict(n_bootstrap=-1), "Bootstrap resamples is -1"),
    (dict(min_group_size=0), "minimum group size is 0"),
    (dict(y_pred=np.full(10, 2)), "must be 0 or 1"),
])
def test_bad_input_is_refused_with_a_fix(change, message):
    arguments = dict(task="binary", y_true=np.array([0, 1] * 5), y_pred=np.array([1, 0] * 5),
                     sensitive=pd.DataFrame({"g": ["a", "b"] * 5}), n_bootstrap=0)
    arguments.update(change)
    if message is None:  # a continuous column: needs more values than the limit
        arguments.update(y_true=np.array([0, 1] * 30), y_pred=np.array([1, 0] * 30),
                         sensitive=pd.DataFrame({"age": np.arange(60) * 1.5}))
        message = f"compares up to {MAX_GROUPS} groups"
    task = arguments.pop("task")
    with pytest.raises(InputError, match=message) as caught:
        review(task, arguments.pop("y_true"), arguments.pop("y_pred"), arguments.pop("sensitive"), **arguments)
    assert caught.value.fix


# ----------------------------------------------------------------------------- record and charts

def test_report_round_trips_through_json(binary_case):
    report = binary_case[3]
    assert FairnessReport.from_dict(json.loads(json.dumps(report.to_dict(), allow_nan=False))) == report
    with pytest.raises(InputError, match="unknown format"):
        FairnessReport.from_dict({"format_version": 99})
    found, grouping = report.worst("demographic_parity_difference")
    assert found.value == max(g.disparity("demographic_parity_difference").value for g in report.groupings)
    assert grouping in report.summary


def test_charts_show_sizes_flags_intervals_and_thresholds(binary_case):
    report = binary_case[3]
    race = report.groupings[1]
    bars = fairness_charts.group_metrics_figure(race)
    assert isinstance(bars, go.Figure) and len(bars.data) == 3  # selection rate, TPR, FPR
    assert any("small" in str(text) for trace in bars.data for text in trace.x)
    objectives = tuple(parse_objective(text, task="binary") for text in
                       ("demographic_parity_difference<=0.1", "equalized_odds_ratio>=0.8"))
    figure = fairness_charts.disparities_figure(report, objectives)
    first = figure.data[0]
    dp = report.groupings[0].disparity("demographic_parity_difference")
    assert first.error_x.array[0] == pytest.approx(dp.high - dp.value)
    assert first.error_x.arrayminus[0] == pytest.approx(dp.value - dp.low)
    lines = [s for s in figure.layout.shapes if s.type == "line"]
    assert sorted(s.x0 for s in lines) == [0.1, 0.8]
    empty = fairness_charts.group_metrics_figure(None)
    assert empty.layout.annotations[0].text


# ----------------------------------------------------------------------------- stored as evidence

def _csv(rows=300, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    group = rng.choice(["a", "b"], rows)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=rows), "group": group,
                          "tiny": np.where(np.arange(rows) < 8, "rare", "common"),
                          "y": np.where(x + (group == "a") * 0.5 + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")})
    return frame.to_csv(index=False).encode()


@pytest.fixture
def version(workspace, actors):
    analyst = actors["analyst"]
    project = projects.create_project(workspace, analyst, name="Loans", task="binary", target="y",
                                      positive_class="yes", sensitive=["group"],
                                      objectives=["roc_auc>=0.6", "demographic_parity_difference<=0.3"])
    raw = datasets.ingest_bytes(workspace, analyst, project.id, _csv(), "loans.csv")
    recipe = preparation.save_recipe(workspace, analyst, project.id, "base",
                                     preparation.suggested_recipe(workspace, raw, project))
    frozen = preparation.freeze_dataset(workspace, analyst, raw.id, recipe.id)
    split = preparation.create_split(workspace, analyst, frozen.id, method="stratified", seed=1, test_size=0.4)
    result = run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                        algorithm="linear", method="none", cv_folds=3)
    return registry.register_run(workspace, analyst, result.best_run_id)


def test_review_of_a_version_is_stored_once_and_read_back(workspace, actors, version):
    assert stored_review(workspace, version.id, n_bootstrap=20) is None
    steps = []
    first = review_version(workspace, actors["reviewer"], version.id, n_bootstrap=20,
                           progress=lambda fraction, message: steps.append(fraction))
    assert not first.from_store and steps[-1] == 1.0
    assert first.report.attributes == ("group",) and first.report.n_rows == 120
    assert first.evidence.summary == first.report.summary
    again = review_version(workspace, actors["stakeholder"], version.id, n_bootstrap=20)
    assert again.from_store and again.evidence.id == first.evidence.id and again.report == first.report
    assert stored_review(workspace, version.id, n_bootstrap=20).evidence.id == first.evidence.id
    other = review_version(workspace, actors["reviewer"], version.id, sensitive=["group", "tiny"], n_bootstrap=20)
    assert other.evidence.id != first.evidence.id
    assert [g.name for g in other.report.groupings] == ["group", "tiny", f"group{INTERSECTION}tiny"]
    assert [e.action for e in audit.recent_events(workspace, limit=2)] == ["evidence.fairness"] * 2
    assert [str(o) for o in fairness_objectives(workspace, version.project_id)] == [
        "demographic_parity_difference <= 0.3"]


def test_review_numbers_match_fairlearn_on_the_models_test_rows(workspace, actors, version):
    from lifecycle.develop import training
    stored = review_version(workspace, actors["analyst"], version.id, n_bootstrap=0)
    data = training.data_for_run(workspace, training.get_run(workspace, version.run_id))
    decisions = registry.load_pipeline(workspace, version).predict(data.X_test)
    groups = datasets.load_frame(workspace, data.dataset, columns=["group"]).loc[data.X_test.index, "group"]
    expected = flm.demographic_parity_difference(data.y_test, decisions, sensitive_features=groups)
    value = stored.report.groupings[0].disparity("demographic_parity_difference").value
    assert value == pytest.approx(expected)
    assert "positive class 'yes'" in stored.report.decision


def test_validating_stores_the_verdicts_review_and_the_panel_reads_it(workspace, actors, version):
    from lifecycle.validate import stage as validate_stage
    from lifecycle.validate.fairness import review_held_out
    from lifecycle.validate.held_out import held_out
    outcome = validate_stage.validate_version(workspace, actors["analyst"], version.id, n_bootstrap=20)
    stored = stored_review(workspace, version.id, n_bootstrap=20)
    assert stored is not None and stored.evidence.created_by == "analyst"
    # exactly what the panel would compute with these settings
    fresh = review_held_out(held_out(workspace, version), ("group",), threshold=None, n_bootstrap=20)
    assert stored.report == fresh and "positive class 'yes'" in stored.report.decision
    verdict = next(v for v in outcome.report.verdicts if v.metric == "demographic_parity_difference")
    disparity, grouping = stored.report.worst("demographic_parity_difference")
    assert (verdict.value, verdict.low, verdict.high) == (disparity.value, disparity.low, disparity.high)
    again = review_version(workspace, actors["reviewer"], version.id, n_bootstrap=20)
    assert again.from_store and again.evidence.id == stored.evidence.id
    assert len([e for e in evidence.for_version(workspace, version.id) if e.kind == "fairness"]) == 1


def test_a_fairness_review_and_a_validation_load_the_dataset_once(workspace, actors, version, count_loads):
    from lifecycle.validate import stage as validate_stage
    review_version(workspace, actors["reviewer"], version.id, sensitive=["group", "tiny"], n_bootstrap=5)
    assert len(count_loads) == 1
    count_loads.clear()
    validate_stage.validate_version(workspace, actors["analyst"], version.id, n_bootstrap=5)
    assert len(count_loads) == 1
    count_loads.clear()
    assert review_version(workspace, actors["reviewer"], version.id, n_bootstrap=5).from_store
    assert count_loads == []


@pytest.mark.parametrize("sensitive, message", [(["postcode"], "Sensitive column 'postcode' is not in"),
                                                (["y"], "is the target"), ([], "declares no sensitive")])
def test_bad_columns_are_refused_before_any_work(workspace, actors, version, sensitive, message):
    with pytest.raises(InputError, match=message):
        review_version(workspace, actors["analyst"], version.id, sensitive=sensitive, n_bootstrap=5)
    assert evidence.latest(workspace, version.id, "fairness") is None


# ----------------------------------------------------------------------------- command line

def test_cli_prints_groups_and_intervals_and_reads_the_evidence_back(workspace, version, capsys):
    from lifecycle.cli import main
    prefix = ["--workspace", str(workspace.path), "--user", "reviewer"]
    assert main([*prefix, "fairness", str(version.id), "--bootstrap", "20", "--sensitive", "group",
                 "--sensitive", "tiny"]) == 0
    text = capsys.readouterr().out
    assert "computed now" in text and f"group{INTERSECTION}tiny" in text
    assert "rare" in text and "(small: not compared)" in text
    assert "Demographic parity difference:" in text and "objective <= 0.3:" in text
    assert main([*prefix, "fairness", str(version.id), "--bootstrap", "20", "--sensitive", "group",
                 "--sensitive", "tiny", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["from_store"] is True
    report = FairnessReport.from_dict(data["report"])
    assert report.attributes == ("group", "tiny") and report.n_bootstrap == 20


def test_cli_bad_column_is_one_line_with_the_fix(workspace, version, capsys):
    from lifecycle.cli import main
    assert main(["--workspace", str(workspace.path), "--user", "reviewer", "fairness", str(version.id),
                 "--sensitive", "postcode"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: Sensitive column 'postcode' is not in") and "Pick one of:" in error
    assert len(error.strip().splitlines()) == 1


def test_judging_against_an_objective_reads_the_interval():
    from lifecycle.validate.fairness_review import Disparity, judge
    objective = parse_objective("demographic_parity_difference<=0.1", task="binary")

    def disparity(value, low, high):
        return Disparity(metric="demographic_parity_difference", value=value, low=low, high=high, defined_resamples=9)
    assert judge(objective, disparity(0.05, 0.02, 0.08)) == "pass"
    assert judge(objective, disparity(0.08, 0.03, 0.14)) == "uncertain"
    assert judge(objective, disparity(0.12, 0.09, 0.15)) == "fail"
    assert judge(objective, disparity(None, None, None)) == "fail"
    assert judge(None, disparity(0.5, 0.4, 0.6)) == ""
