"""The algorithm catalogue and user-editable search spaces."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from scipy.stats import loguniform, randint
from sklearn.base import is_classifier, is_regressor

from lifecycle.develop import catalogue
from lifecycle.develop.catalogue import CATALOGUE, get_algorithm, parse_space
from lifecycle.errors import InputError
from lifecycle.data.recipe.compiler import default_recipe
from lifecycle.develop.search import candidates, halving_schedule
from lifecycle.develop.training import build_pipeline
from tests.unit.training_data import csv_bytes

CASES = [(name, task) for name, algorithm in CATALOGUE.items() for task in algorithm.tasks]


@pytest.fixture(scope="module")
def frames():
    out = {}
    for task in ("binary", "multiclass", "regression"):
        df = pd.read_csv(io.BytesIO(csv_bytes(task, rows=120)))
        out[task] = (df, default_recipe(df, target="y"))
    return out


def test_catalogue_has_the_families_the_issue_asks_for():
    assert {"dummy", "linear", "random_forest", "hist_gradient_boosting", "extra_trees", "knn"} <= set(CATALOGUE)
    assert all(set(a.tasks) == {"binary", "multiclass", "regression"} for a in CATALOGUE.values())
    assert len({a.family for a in CATALOGUE.values()}) >= 5


@pytest.mark.parametrize("name,task", CASES)
def test_every_algorithm_trains_for_each_task_it_lists(frames, name, task):
    df, recipe = frames[task]
    X, y = df.drop(columns="y"), df["y"]
    pipeline = build_pipeline(recipe, df, name, task, {}, seed=3)
    assert [step for step, _ in pipeline.steps] == ["recipe", "model"]
    model = pipeline.named_steps["model"]
    assert is_regressor(model) if task == "regression" else is_classifier(model)
    pipeline.fit(X, y)
    assert len(pipeline.predict(X)) == len(X)
    if task != "regression":
        assert pipeline.predict_proba(X).shape == (len(X), y.nunique())


@pytest.mark.parametrize("name,task", CASES)
@pytest.mark.parametrize("method", ["random", "grid"])
def test_default_spaces_are_valid_json_and_parse(name, task, method):
    algorithm = get_algorithm(name)
    space = algorithm.default_space(task, method)
    parsed = parse_space(algorithm, task, space)
    assert set(parsed) == set(space)
    if method == "grid":
        assert catalogue.is_grid(parsed)
    space["extra"] = 1  # a copy: editing it leaves the catalogue alone
    assert "extra" not in algorithm.default_space(task, method)


def test_make_sets_the_seed_and_one_job():
    forest = get_algorithm("random_forest").make("binary", {"max_depth": 4}, seed=7)
    assert (forest.random_state, forest.n_jobs, forest.max_depth) == (7, 1, 4)
    assert get_algorithm("linear").make("binary").max_iter == 1000
    assert type(get_algorithm("linear").make("regression")).__name__ == "Ridge"
    assert get_algorithm("dummy").make("binary").strategy == "prior"
    assert get_algorithm("dummy").make("regression").strategy == "mean"


def test_parse_space_converts_ranges_to_distributions():
    parsed = parse_space("hist_gradient_boosting", "binary",
                         '{"max_depth": [3, 6, null], "learning_rate": {"log_uniform": [0.01, 0.3]}, '
                         '"max_iter": {"int_uniform": [50, 300]}, "l2_regularization": {"uniform": [0, 2]}}')
    assert parsed["max_depth"] == [3, 6, None]
    assert isinstance(parsed["learning_rate"].dist, type(loguniform(1, 2).dist))
    assert parsed["learning_rate"].support() == pytest.approx((0.01, 0.3))
    assert isinstance(parsed["max_iter"].dist, type(randint(1, 2).dist))
    assert parsed["max_iter"].support() == (50, 300)  # both ends included
    assert parsed["l2_regularization"].support() == (0, 2)
    assert parse_space("knn", "binary", {"n_neighbors": 7}) == {"n_neighbors": [7]}


@pytest.mark.parametrize("space,message", [
    ({"max_depth": [3, -3]}, "max_depth: -3 is not allowed for Histogram gradient boosting; use an int in the "
                             "range [1, inf) or null."),
    ({"learning_rate": {"log_uniform": [0.01, 0.3]}, "max_leaf_nodes": ["many"]}, "max_leaf_nodes: 'many' is "
                                                                                  "not allowed"),
    ({"learning_rate": {"log_uniform": [0, 0.3]}}, "learning_rate: log_uniform needs a low bound above 0"),
    ({"learning_rate": {"uniform": [-1, 0.3]}}, "learning_rate: -1 is not allowed"),
    ({"max_iter": {"int_uniform": [10.5, 20]}}, "max_iter: int_uniform needs whole-number bounds"),
    ({"max_iter": {"int_uniform": [20, 10]}}, "max_iter: int_uniform range [20, 10] is empty"),
    ({"max_iter": {"normal": [1, 2]}}, "max_iter: a range must be one of log_uniform, uniform, int_uniform"),
    ({"max_iter": []}, "max_iter: the list of values is empty"),
    ({"depth": [3]}, "'depth' is not a parameter of Histogram gradient boosting (binary). Use one of: "),
    ({"random_state": [1]}, "random_state is set from the run's seed"),
    ('{"max_depth": [3, None]}', "The search space is not valid JSON: Expecting value at line 1, column 19."),
    ("[1, 2]", "The search space is a list"),
])
def test_invalid_spaces_name_the_param_the_value_and_the_fix(space, message):
    with pytest.raises(InputError) as caught:
        parse_space("hist_gradient_boosting", "binary", space)
    assert message in str(caught.value)
    assert caught.value.fix


def test_algorithms_refuse_unknown_names_and_tasks():
    with pytest.raises(InputError, match="No algorithm named 'xgboost'"):
        get_algorithm("xgboost")
    with pytest.raises(InputError, match="Task 'ranking' is not supported"):
        get_algorithm("knn").make("ranking")


def test_candidates_per_method():
    space = parse_space("knn", "binary", {"n_neighbors": [3, 5, 7], "weights": ["uniform", "distance"]})
    assert len(candidates("grid", space, None, 0)) == 6
    assert len(candidates("random", space, 4, 0)) == 4
    assert len(candidates("random", space, 50, 0)) == 6  # a small grid is walked once, not repeated
    ranged = parse_space("knn", "binary", {"n_neighbors": {"int_uniform": [3, 30]}})
    drawn = candidates("random", ranged, 5, seed=1)
    assert drawn == candidates("random", ranged, 5, seed=1)  # seeded
    assert all(type(c["n_neighbors"]) is int for c in drawn)  # plain Python, as stored
    assert candidates("none", parse_space("knn", "binary", {"n_neighbors": 4}), None, 0) == [{"n_neighbors": 4}]
    with pytest.raises(InputError, match="Grid search needs a list of values for every parameter; n_neighbors"):
        candidates("grid", ranged, None, 0)
    with pytest.raises(InputError, match="The grid has 6 combinations, more than the 5 trials asked for"):
        candidates("grid", space, 5, 0)
    with pytest.raises(InputError, match="one value per parameter; n_neighbors"):
        candidates("none", space, None, 0)
    with pytest.raises(InputError, match="Search method 'bayes' is not known"):
        candidates("bayes", space, None, 0)


def test_halving_schedule_shrinks_candidates_and_grows_rows_to_all():
    assert halving_schedule(27, 2700, 30) == [(27, 100), (9, 300), (3, 900), (1, 2700)]
    assert halving_schedule(20, 900, 30) == [(20, 100), (7, 300), (3, 900)]
    assert halving_schedule(27, 160, 16) == [(27, 17), (9, 53), (3, 160)]  # too few rows for 4 rounds
    assert halving_schedule(1, 500, 10) == [(1, 500)]
    assert halving_schedule(9, 40, 30) == [(9, 40)]
