"""The compiled row path equals the fitted pipeline, or is not used."""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.data.recipe.spec import ColumnStep, DerivedColumn, Recipe
from lifecycle.data.recipe.transformers import AsText
from lifecycle.deploy import fastpath, fastpath_steps
from lifecycle.deploy.rows import RowChecker
from lifecycle.models import registry


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "z": rng.exponential(3.0, size=n),
        "c": rng.choice(["a", "b", "c", "d", "rare"], n, p=[0.4, 0.3, 0.2, 0.08, 0.02]),
        "k": rng.choice([1, 2, 3], n),  # whole floats: see the report (the schema lists "1.0", rows send "1")
        "amount": [f"{v:,.2f}" for v in rng.uniform(0, 5000, n)],
        "when": pd.date_range("2020-01-01", periods=n, freq="7D").strftime("%Y-%m-%d"),
        "note": rng.choice(["short", "a longer note", "mid"], n),
    })
    frame.loc[frame.index[::7], "x"] = np.nan
    frame.loc[frame.index[::11], "c"] = None
    frame.loc[frame.index[3], "z"] = np.inf
    return frame


def _records(frame):
    return [{k: (None if (isinstance(v, float) and np.isnan(v)) else (v.item() if hasattr(v, "item") else v))
             for k, v in r.items()} for r in frame.to_dict("records")]


def _check(pipeline, schema, task, frame=None):
    """The fast path compiles and verifies, and equals the pipeline on ``frame``'s rows too."""
    checker = RowChecker(schema)
    classes = task != "regression" and hasattr(pipeline, "predict_proba")
    fast = fastpath.compile_and_verify(pipeline, schema, checker, task=task, classes=classes, label="test")
    assert fast is not None
    if frame is not None:
        rows = []
        for record in _records(frame[[c.name for c in schema]]):
            try:
                rows.extend(checker.check([record]))
            except Exception:  # noqa: BLE001 - rows the schema refuses never reach scoring
                pass
        assert rows
        for batch in (rows, rows[:1], rows[:8]):
            problem = fastpath.verify(fast, pipeline, checker, batch, classification=task != "regression")
            assert problem is None, (fast.how, problem)
    return fast


@pytest.mark.parametrize("kind", ["classification", "regression", "multiclass"])
def test_every_catalogue_algorithm_compiles_and_equals_its_pipeline(kind):
    from lifecycle.develop.catalogue import CATALOGUE

    frame = _frame()[["x", "z", "c", "k"]]
    target = {"classification": (frame["z"] > 2).astype(int), "regression": frame["z"].clip(0, 10) * 2.0,
              "multiclass": pd.Series(np.where(frame["z"] > 4, "hi", np.where(frame["z"] > 1, "mid", "lo")))}[kind]
    builders_key = "regression" if kind == "regression" else "classification"
    task = {"classification": "binary", "regression": "regression", "multiclass": "multiclass"}[kind]
    compiled = []
    for algorithm in CATALOGUE.values():
        builder = algorithm.builders.get(builders_key)
        if builder is None:
            continue
        for params in ({}, {"p": 1}) if algorithm.name == "knn" else ({},):
            recipe = default_recipe(frame.assign(y=target), target="y")
            pipeline = Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=target))),
                                 ("model", builder(**params))]).fit(frame, target)
            fast = _check(pipeline, registry.input_schema(recipe, frame), task, frame)
            compiled.append((algorithm.name, fast.how))
    hows = dict(compiled)
    if kind != "regression":
        assert hows["hist_gradient_boosting"] == "hgb predictors" and hows["linear"] == "coef_"
    assert len(compiled) >= 6


def _recipe_pipeline(steps, derived=(), estimator=None, frame=None):
    frame = _frame() if frame is None else frame
    y = ((frame["z"].replace(np.inf, 9) > 2.5) ^ (frame["c"] == "b")).astype(int)
    recipe = Recipe(steps=(*steps, ColumnStep(column="y", role="target")), derived=tuple(derived))
    pipeline = Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=y))),
                         ("model", estimator or LogisticRegression(max_iter=500))]).fit(frame, y)
    return pipeline, registry.input_schema(recipe, frame), frame


@pytest.mark.parametrize("estimator", [None, "hgb"])
def test_recipes_with_imputation_scaling_clipping_onehot_derived_and_parsed_numbers(estimator):
    from sklearn.ensemble import HistGradientBoostingClassifier

    steps = (
        ColumnStep(column="x", imputation="median", scaling="standard", clip="iqr"),
        ColumnStep(column="z", imputation="mean", scaling="minmax", clip="quantile", clip_quantiles=(0.05, 0.9)),
        ColumnStep(column="amount", imputation="constant", fill_value=-1, scaling="robust", number_format="1,234.56"),
        ColumnStep(column="c", kind="categorical", imputation="most_frequent", encoding="onehot", min_frequency=5),
        ColumnStep(column="k", kind="categorical", imputation="constant", fill_value="none", encoding="onehot"),
        ColumnStep(column="note", kind="categorical", imputation="most_frequent", encoding="ordinal"),
    )
    derived = (
        DerivedColumn(name="x_per_z", op="ratio", inputs=("x", "z"), scaling="standard"),
        DerivedColumn(name="log_z", op="log1p", inputs=("z",)),
        DerivedColumn(name="z_bin", op="bin", inputs=("z",), edges=(1.0, 2.0, 5.0)),
        DerivedColumn(name="year", op="year", inputs=("when",)),
        DerivedColumn(name="note_length", op="length", inputs=("note",)),
    )
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0) if estimator == "hgb" else None
    pipeline, schema, frame = _recipe_pipeline(steps, derived, model)
    _check(pipeline, schema, "binary", frame)


def test_unknown_categories_reach_the_encoder_when_the_schema_lists_none():
    steps = (ColumnStep(column="x", imputation="median"),
             ColumnStep(column="c", kind="categorical", imputation="most_frequent", encoding="onehot",
                        max_categories=3),
             ColumnStep(column="note", kind="categorical", imputation="most_frequent", encoding="onehot"))
    pipeline, schema, frame = _recipe_pipeline(steps)
    open_schema = tuple(dataclasses.replace(c, categories=()) if c.kind == "categorical" else c for c in schema)
    fast = _check(pipeline, open_schema, "binary", frame)
    checker = RowChecker(open_schema)
    rows = checker.check([{"x": 0.3, "c": "never seen", "note": "nor this"}, {"x": None, "c": "rare", "note": "mid"}])
    assert fastpath.verify(fast, pipeline, checker, rows, classification=True) is None


def test_an_encoder_that_refuses_unknown_categories_sends_the_batch_to_the_pipeline():
    frame = _frame()[["x", "c"]].fillna({"c": "a", "x": 0.0})
    y = (frame["x"] > 0).astype(int)
    ct = ColumnTransformer([("num", "passthrough", ["x"]),
                            ("cat", Pipeline([("to_text", AsText()),
                                              ("encode", OneHotEncoder(handle_unknown="error", sparse_output=False))]),
                             ["c"])])
    pipeline = Pipeline([("recipe", ct), ("model", LogisticRegression())]).fit(frame, y)
    recipe = default_recipe(frame.assign(y=y), target="y")
    schema = tuple(dataclasses.replace(c, categories=()) for c in registry.input_schema(recipe, frame))
    fast = _check(pipeline, schema, "binary", frame)
    checker = RowChecker(schema)
    with pytest.raises(fastpath.Refuse):
        fast.score(fast.columns_of_rows(checker.check([{"x": 1.0, "c": "never seen"}])))


def test_an_unknown_step_falls_back_to_the_pipeline_and_says_why(caplog):
    frame = _frame()[["x", "z"]].fillna(0.0).replace(np.inf, 0.0)
    y = (frame["x"] > 0).astype(int)
    ct = ColumnTransformer([("num", Pipeline([("impute", SimpleImputer()), ("twice", FunctionTransformer(np.abs))]),
                             ["x", "z"])])
    pipeline = Pipeline([("recipe", ct), ("model", LogisticRegression())]).fit(frame, y)
    recipe = default_recipe(frame.assign(y=y), target="y")
    schema = registry.input_schema(recipe, frame)
    with caplog.at_level(logging.INFO, logger="lifecycle.deploy.service"):
        assert fastpath.compile_and_verify(pipeline, schema, RowChecker(schema), task="binary", classes=True,
                                           label="v1") is None
    assert "FunctionTransformer" in caplog.text


def test_a_compiled_path_that_differs_is_refused(caplog, monkeypatch):
    steps = (ColumnStep(column="x", imputation="median", scaling="standard"),)
    pipeline, schema, _ = _recipe_pipeline(steps)
    scaler = pipeline[0].named_transformers_["num"].named_steps["scale"]
    real = fastpath.compile_transformer

    def off_by_a_little(step, shape):
        function, out = real(step, shape)
        if step is scaler:
            return (lambda data: function(data) + 1e-6), out
        return function, out
    monkeypatch.setattr(fastpath_steps, "compile_transformer", off_by_a_little)  # where the steps look it up
    with caplog.at_level(logging.INFO, logger="lifecycle.deploy.service"):
        assert fastpath.compile_and_verify(pipeline, schema, RowChecker(schema), task="binary", classes=True,
                                           label="v1") is None
    assert "differs" in caplog.text


def test_the_service_scores_through_the_fast_path_and_falls_back_per_batch(monkeypatch):
    from lifecycle.deploy.live import score_checked, predict
    from lifecycle.deploy.scorer import LoadedVersion

    steps = (ColumnStep(column="x", imputation="median", scaling="standard"),
             ColumnStep(column="c", kind="categorical", imputation="most_frequent", encoding="onehot"))
    pipeline, schema, frame = _recipe_pipeline(steps)
    checker = RowChecker(schema)
    fast = fastpath.compile_and_verify(pipeline, schema, checker, task="binary", classes=True)
    loaded = LoadedVersion(served=None, pipeline=pipeline, task="binary", classes=(0, 1))
    rows = checker.check(_records(frame[["x", "c"]])[:5])
    expected = predict(loaded, checker.frame(rows))
    answered = score_checked(loaded, checker, fast, rows)
    assert [a[0] for a in answered] == [e[0] for e in expected]
    np.testing.assert_allclose([a[1] for a in answered], [e[1] for e in expected], rtol=0, atol=1e-9)

    def broken(cols):
        raise RuntimeError("boom")
    monkeypatch.setattr(fast, "score", broken)
    assert score_checked(loaded, checker, fast, rows) == expected
