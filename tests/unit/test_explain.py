"""SHAP explanations of whole pipelines: values agree with the shap library, add up to the model
output, are summed onto source columns, stored once as evidence, and charted."""
from __future__ import annotations

import html

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import shap
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from lifecycle.review import explain
from lifecycle.review import shap_explainer
from lifecycle.models import registry
from lifecycle.develop import search
from lifecycle.charts import explain_charts as charts
from lifecycle.cli import main
from lifecycle.errors import InputError
from lifecycle.review.explain import Explanation, PipelineExplainer
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from tests.unit.training_data import csv_bytes, frozen_split, make_project


def _frame(n=300, seed=0) -> pd.DataFrame:
    """``age`` pushes y up, ``colour`` = red pushes it up, ``noise`` does nothing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.normal(40, 10, n), "noise": rng.normal(size=n),
                          "colour": rng.choice(["red", "green", "blue"], n)})
    signal = (frame["age"] - 40) / 10 + 1.5 * (frame["colour"] == "red") + rng.normal(scale=0.5, size=n)
    frame["y"] = (signal > 0.5).astype(int)
    frame["amount"] = 3 * (frame["age"] - 40) + 5 * (frame["colour"] == "red") + rng.normal(size=n)
    return frame


def _pipeline(estimator, target="y", frame=None) -> tuple[Pipeline, pd.DataFrame]:
    frame = _frame() if frame is None else frame
    data = frame[["age", "noise", "colour", target]]
    recipe = default_recipe(data, target=target)
    X = data.drop(columns=[target])
    pipeline = Pipeline([("recipe", compile_recipe(recipe, data)), ("model", estimator)]).fit(X, data[target])
    return pipeline, X


def _by_source(values: np.ndarray, names) -> pd.DataFrame:
    """Sum transformed-feature values onto source columns, independently of lifecycle.data.recipe.compiler."""
    sources = [name.split("__", 1)[1].split("=")[0] for name in names]
    return pd.DataFrame(values, columns=sources).T.groupby(level=0, sort=False).sum().T


def _explainer(pipeline, X, task="binary", **kwargs) -> PipelineExplainer:
    return PipelineExplainer(pipeline, X.iloc[:100], task=task, **kwargs)


# ----------------------------------------------------------------------------- agreement and additivity


def test_tree_values_agree_with_shap_and_add_up_to_the_log_odds():
    pipeline, X = _pipeline(HistGradientBoostingClassifier(max_iter=30, random_state=0))
    explainer = _explainer(pipeline, X)
    result = explainer.explain(X.iloc[:80])
    transformed = pipeline[:-1].transform(X.iloc[:80])
    reference = shap.TreeExplainer(pipeline[-1])
    expected = _by_source(reference.shap_values(transformed.to_numpy(dtype=float)), transformed.columns)
    assert explainer.method == "tree" and explainer.columns == ("age", "noise", "colour")
    np.testing.assert_allclose(result.values, expected[list(explainer.columns)].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.decision_function(X.iloc[:80]), atol=1e-6)
    assert explainer.output == "log-odds of '1'"


def test_forest_explains_the_positive_class_probability():
    pipeline, X = _pipeline(RandomForestClassifier(n_estimators=15, random_state=0))
    explainer = _explainer(pipeline, X, positive_label="yes")
    result = explainer.explain(X.iloc[:50])
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.predict_proba(X.iloc[:50])[:, 1], atol=1e-6)
    assert explainer.output == "probability of 'yes'"


def test_linear_values_agree_with_shap_and_add_up_to_the_margin():
    pipeline, X = _pipeline(LogisticRegression(max_iter=1000))
    explainer = _explainer(pipeline, X)
    result = explainer.explain(X.iloc[:60])
    background = pipeline[:-1].transform(X.iloc[:100])
    rows = pipeline[:-1].transform(X.iloc[:60])
    reference = shap.LinearExplainer(pipeline[-1], background)
    expected = _by_source(reference.shap_values(rows), rows.columns)
    assert explainer.method == "linear"
    np.testing.assert_allclose(result.values, expected[list(explainer.columns)].to_numpy(), atol=1e-8)
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.decision_function(X.iloc[:60]), atol=1e-8)


@pytest.mark.parametrize("estimator", [Ridge(), HistGradientBoostingRegressor(max_iter=20)])
def test_regression_adds_up_to_the_prediction(estimator):
    pipeline, X = _pipeline(estimator, target="amount")
    explainer = _explainer(pipeline, X, task="regression")
    result = explainer.explain(X.iloc[:40])
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1), pipeline.predict(X.iloc[:40]),
                               atol=1e-6)
    assert explainer.output == "prediction" and explainer.target_class is None


def test_multiclass_explains_the_first_class_by_default_or_the_chosen_one():
    frame = _frame()
    frame["kind"] = np.where(frame["age"] > 45, "old", np.where(frame["colour"] == "red", "red", "other"))
    pipeline, X = _pipeline(HistGradientBoostingClassifier(max_iter=20), target="kind", frame=frame)
    default = _explainer(pipeline, X, task="multiclass")
    assert default.target_class == "old"  # sorted labels: old, other, red
    chosen = _explainer(pipeline, X, task="multiclass", target_class="red")
    result = chosen.explain(X.iloc[:30])
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.decision_function(X.iloc[:30])[:, 2], atol=1e-6)
    linear, _ = _pipeline(LogisticRegression(max_iter=1000), target="kind", frame=frame)
    result = _explainer(linear, X, task="multiclass", target_class="other").explain(X.iloc[:30])
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               linear.decision_function(X.iloc[:30])[:, 1], atol=1e-8)
    with pytest.raises(InputError, match="Class 'blue' is not one the model predicts.*old, other, red"):
        _explainer(pipeline, X, task="multiclass", target_class="blue")


def test_other_models_use_the_permutation_explainer_with_a_background():
    pipeline, X = _pipeline(KNeighborsClassifier(n_neighbors=15))
    explainer = _explainer(pipeline, X, seed=3)
    result = explainer.explain(X.iloc[:5])
    assert explainer.method == "permutation" and explainer.output == "probability of '1'"
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.predict_proba(X.iloc[:5])[:, 1], atol=1e-8)
    background = pipeline[:-1].transform(X.iloc[:100]).to_numpy(dtype=float)
    rows = pipeline[:-1].transform(X.iloc[:5])
    reference = shap.PermutationExplainer(explainer.model_output, shap.maskers.Independent(background, 100), seed=3)
    expected = reference(rows.to_numpy(dtype=float), max_evals=shap_explainer.PERMUTATIONS * (2 * rows.shape[1] + 1),
                         silent=True)
    np.testing.assert_allclose(result.values, _by_source(expected.values, rows.columns).to_numpy(), atol=1e-10)
    dummy, _ = _pipeline(DummyClassifier())
    assert np.allclose(_explainer(dummy, X).explain(X.iloc[:3]).values, 0.0)


class Broken(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        raise RuntimeError("no probabilities today")


def test_a_model_shap_fails_on_gets_a_clear_message():
    pipeline, X = _pipeline(Broken())
    with pytest.raises(InputError, match="SHAP could not explain the Broken model.*no probabilities today"):
        _explainer(pipeline, X).explain(X.iloc[:3])
    with pytest.raises(InputError, match="recipe → model pipeline"):
        PipelineExplainer(LogisticRegression(), X, task="binary")


# ----------------------------------------------------------------------------- summary and payload


@pytest.fixture(scope="module")
def explained() -> Explanation:
    pipeline, X = _pipeline(HistGradientBoostingClassifier(max_iter=30, random_state=0))
    return explain.explain_rows(_explainer(pipeline, X, positive_label="yes"), pipeline, X.iloc[100:250],
                                available_rows=200, positive_label="yes")


def test_importance_and_drivers_speak_in_source_columns(explained):
    assert list(explained.importance)[:2] == ["age", "colour"]
    expected = np.abs(explained.values).mean(axis=0)
    assert explained.importance["noise"] == pytest.approx(expected[explained.columns.index("noise")])
    age, colour = explained.drivers[:2]
    assert (age.column, age.direction) == ("age", "up")
    assert age.statement == "age: higher values push the log-odds of 'yes' up."
    assert colour.statement.startswith("colour: colour = red pushes the log-odds of 'yes' up most")
    assert explained.summary.startswith("age, colour, noise drive the log-odds of 'yes' most (150 test rows")
    assert explained.interactions["age"] == "colour"
    assert explained.kinds == {"age": "numeric", "noise": "numeric", "colour": "categorical"}


def test_payload_is_compact_json_and_reads_back(explained):
    payload = explained.to_payload()
    text = json.dumps(payload)
    back = Explanation.from_payload(json.loads(text))
    np.testing.assert_allclose(back.values, explained.values, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(back.base_value + back.values.sum(axis=1), back.outputs, atol=1e-4)
    assert [d.statement for d in back.drivers] == [d.statement for d in explained.drivers]
    assert back.row_ids == explained.row_ids
    assert len(text) < 60 * explained.rows * len(explained.columns) + 5000
    local = back.row(0)
    assert local.base_value + sum(local.contributions.values()) == pytest.approx(local.value, abs=1e-4)
    assert local.prediction.startswith(("yes (probability", "not yes (probability"))
    with pytest.raises(InputError, match="Row 150 is not among the 150 explained rows"):
        back.row(150)


def test_rows_are_checked_and_clamped_with_a_note():
    X = _frame().iloc[:40]
    sample, notes = explain.sample_rows(X, 100)
    # Worded for the default as much as for a number the user typed: nobody "asked" for the default.
    assert len(sample) == 40 and notes == ("All 40 test rows are explained (the test split has fewer than 100).",)
    sample, notes = explain.sample_rows(X, 20, seed=1)
    assert len(sample) == 20 and notes == () and sample.index.is_monotonic_increasing
    for bad in (5, 0, 1.5, True, explain.MAX_ROWS + 1):
        with pytest.raises(InputError, match="Rows to explain"):
            explain.check_rows(bad)


# ----------------------------------------------------------------------------- charts


def test_charts_draw_what_the_explanation_holds(explained):
    bars = charts.importance_figure(explained).data[0]
    assert list(bars.y) == list(explained.importance) and list(bars.x) == list(explained.importance.values())
    swarm = charts.beeswarm_figure(explained)
    assert [t.name for t in swarm.data] == list(explained.importance)
    np.testing.assert_allclose(swarm.data[0].x, explained.values[:, explained.columns.index("age")])
    dependence = charts.dependence_figure(explained, "age")
    assert html.unescape(dependence.layout.title.text) == f"Dependence — age, coloured by {explained.interactions['age']}"
    assert charts.dependence_figure(explained, "colour", "age").layout.xaxis.type == "category"
    local = explained.row(3)
    waterfall = charts.waterfall_figure(local).data[0]
    assert waterfall.x[0] == local.base_value and list(waterfall.measure)[-1] == "total"
    assert sum(waterfall.x[1:-1]) + local.base_value == pytest.approx(local.value)
    for empty in (charts.importance_figure(None), charts.beeswarm_figure(None), charts.waterfall_figure(None),
                  charts.dependence_figure(explained, "missing")):
        assert isinstance(empty, go.Figure) and empty.layout.annotations


# ----------------------------------------------------------------------------- a registered version


@pytest.fixture
def registered(workspace, actors):
    analyst = actors["analyst"]
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", rows=200))
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=dataset.id, split_id=split.id,
                               algorithm="hist_gradient_boosting", method="none", cv_folds=2,
                               space={"max_iter": 20})
    return registry.register_run(workspace, analyst, result.best_run_id)


def test_a_version_is_explained_once_then_read_from_the_store(workspace, actors, registered, monkeypatch):
    reviewer = actors["reviewer"]
    explanation, stored, from_store = explain.explain_version(workspace, reviewer, registered, rows=30)
    assert not from_store and explanation.rows == 30 and explanation.available_rows == 40
    assert explanation.columns == ("a", "b", "c") and stored.summary == explanation.summary
    assert explanation.output == "log-odds of 'yes'"
    inputs = explain.load_inputs(workspace, registered)
    sample, _ = explain.sample_rows(inputs.X_test, 30)
    np.testing.assert_allclose(explanation.base_value + explanation.values.sum(axis=1),
                               inputs.pipeline.decision_function(sample), atol=1e-4)

    def no_compute(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(explain, "load_inputs", no_compute)
    again, stored_again, from_store = explain.explain_version(workspace, actors["stakeholder"], registered, rows=30)
    assert from_store and stored_again.id == stored.id and again.importance == explanation.importance
    assert explain.stored_explanation(workspace, registered, rows=30)[1].id == stored.id
    assert explain.stored_explanation(workspace, registered, rows=31) is None
    assert explain.latest_explanation(workspace, registered.id)[1].id == stored.id


def test_more_rows_than_the_split_holds_are_clamped_with_a_note(workspace, actors, registered):
    explanation, _, _ = explain.explain_version(workspace, actors["analyst"], registered, rows=500)
    assert explanation.rows == 40
    assert explanation.notes == ("All 40 test rows are explained (the test split has fewer than 500).",)


def test_cost_estimate_and_what_if(workspace, registered):
    inputs = explain.load_inputs(workspace, registered)
    cost = explain.estimate_cost(inputs, rows=1000)
    assert (cost.method, cost.rows, cost.available_rows, cost.probe_rows) == ("tree", 40, 40, 40)
    assert cost.seconds > 0 and cost.note.startswith("All 40 test rows are explained") and "Tree SHAP on 40" in cost.text
    row = inputs.X_test.iloc[0].to_dict()
    before = explain.what_if(inputs, {**row, "a": -2.0})
    after = explain.what_if(inputs, {**row, "a": 2.0})
    assert after.value > before.value and after.contributions["a"] > before.contributions["a"]
    assert after.base_value + sum(after.contributions.values()) == pytest.approx(after.value, abs=1e-6)
    frame = explain.what_if_row(inputs, {**row, "a": 2.0})
    assert after.value == pytest.approx(float(inputs.pipeline.decision_function(frame)[0]))
    with pytest.raises(InputError, match="no value for 'c'"):
        explain.what_if(inputs, {"a": 1.0, "b": 2.0})
    with pytest.raises(InputError, match="'a' must be a number, not 'lots'"):
        explain.what_if(inputs, {**row, "a": "lots"})


def test_cli_prints_importance_by_source_column(workspace, actors, registered, capsys):
    path = str(workspace.path)  # the CLI reuses this process's open workspace
    assert main(["--workspace", path, "--user", "reviewer", "explain", str(registered.id), "--rows", "20"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[0] == "a" and "drive the log-odds of 'yes'" in out
    assert main(["--workspace", path, "--user", "reviewer", "--json", "explain", str(registered.id),
                 "--rows", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["from_store"] is True and [i["column"] for i in data["importance"]][0] == "a"
    assert data["rows"] == 20 and data["output"] == "log-odds of 'yes'"
    assert main(["--workspace", path, "--user", "reviewer", "explain", str(registered.id), "--rows", "3"]) == 2
    assert "Rows to explain 3" in capsys.readouterr().err


def test_a_binary_prediction_names_the_class_its_probability_is_of():
    """Issue 9: 'not >50K (probability 0.543)' beside a chart about '>50K' did not say which class."""
    from sklearn.linear_model import LogisticRegression

    from lifecycle.review.explain import predictions
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    model = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    words = predictions(model, X.iloc[[0, 5]], "binary", positive_label=">50K")
    assert words[0].startswith("not >50K (probability of >50K: 0.")
    assert words[1].startswith(">50K (probability of >50K: 0.")
    p_first = float(words[0].split(": ")[1].rstrip(")"))
    assert p_first < 0.5  # the positive class's probability, not the predicted class's


def test_the_one_row_chart_says_its_value_on_the_axis_scale_and_the_probability_it_stands_for():
    """Issue 9: the one-row view's words and its log-odds chart read on one scale."""
    import html
    import math

    from lifecycle.charts import explain_charts
    from lifecycle.review.explain import LocalExplanation

    local = LocalExplanation(output="log-odds of '>50K'", base_value=-1.2, value=0.17, prediction="not >50K",
                             contributions={"age": 1.37}, features={"age": 52})
    title = html.unescape(explain_charts.waterfall_figure(local).layout.title.text)  # chart text is literal
    assert "this row: 0.170 in log-odds of" in title
    assert f"= probability {1 / (1 + math.exp(-0.17)):.3f}" in title
