"""Batch scoring: every row scored or named with its reason, in chunks, audited; outputs safe to open."""
from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest

from lifecycle import audit
from lifecycle.deploy import batch
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.exports import neutralise as neutralise_formula
from lifecycle.models import registry
from tests.unit import deploy_model


@pytest.fixture
def model(workspace, actors, project):
    return deploy_model.register(workspace, actors["analyst"], project.id)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_every_row_is_scored_as_the_pipeline_scores_it(workspace, actors, model):
    version, pipeline, inputs = model
    result = batch.score_bytes(workspace, actors["analyst"], version.id, _csv(inputs), "customers.csv")
    out = result.frame
    assert list(out.columns) == ["age", "hours", "city", "prediction", "probability_no", "probability_yes",
                                 "not_scored_because"]
    assert list(out["prediction"]) == list(pipeline.predict(inputs))
    np.testing.assert_allclose(out[["probability_no", "probability_yes"]], pipeline.predict_proba(inputs))
    assert out["not_scored_because"].isna().all() and result.problems == ()
    summary = result.summary
    assert (summary.rows, summary.scored, summary.refused) == (120, 120, 0)
    expected = pd.Series(pipeline.predict(inputs)).value_counts()
    assert summary.distribution == {"no": expected["no"], "yes": expected["yes"]}
    assert summary.lines()[0] == f"Scored 120 of 120 rows of customers.csv with Churn {version.label}; 0 not scored."
    event = audit.recent_events(workspace, entity_prefix=f"model:{version.id}")[-1]
    assert event.action == "model.batch_scored" and event.details["scored"] == 120 and event.actor == "analyst"


def test_rows_that_do_not_fit_are_kept_and_named_by_row_and_column_across_chunks(workspace, actors, model,
                                                                                 monkeypatch):
    version, pipeline, inputs = model
    monkeypatch.setattr(batch, "CHUNK_ROWS", 7)
    rows = inputs.head(20).astype(object)
    rows.loc[3, "age"] = "old"
    rows.loc[9, "city"] = "west"
    rows.loc[15, "age"] = None
    rows.loc[15, "city"] = "east"
    steps = []
    result = batch.score_bytes(workspace, actors["analyst"], version.id, _csv(rows), "rows.csv",
                               progress=lambda fraction, message: steps.append((fraction, message)))
    assert [str(p) for p in result.problems] == [
        "row 3, column 'age': 'old' is not a number (integer expected)",
        "row 9, column 'city': 'west' is not a category seen in training (known: north, south)",
        "row 15, column 'age': is empty, and this column may not be (it had no empty values in training and the "
        "recipe does not fill them)",
        "row 15, column 'city': 'east' is not a category seen in training (known: north, south)"]
    out = result.frame
    assert len(out) == 20 and out["prediction"].isna().tolist() == [i in (3, 9, 15) for i in range(20)]
    assert out.loc[15, "not_scored_because"].startswith("age: is empty") and "city: 'east'" in out.loc[15, "not_scored_because"]
    good = [i for i in range(20) if i not in (3, 9, 15)]
    assert list(out.loc[good, "prediction"]) == list(pipeline.predict(inputs.iloc[good]))
    assert (result.summary.scored, result.summary.refused, result.summary.problems) == (17, 3, 4)
    assert [round(f, 2) for f, _ in steps] == [0.0, 0.35, 0.7, 1.0]
    assert steps[-1][1] == "Scored 20 of 20 rows"
    table = batch.table_of_problems(result.problems)
    assert list(table.columns) == ["row", "column", "problem"] and list(table["row"]) == [3, 9, 15, 15]


def test_csv_output_neutralises_formulas_and_parquet_keeps_types(workspace, actors, model, tmp_path):
    version, _, inputs = model
    rows = inputs.head(4).assign(note=["=HYPERLINK(\"http://x\")", "+1", "plain", "@SUM(A1)"],
                                 prediction=["a", "b", "c", "d"])  # an input column named like an output
    result = batch.score_bytes(workspace, actors["analyst"], version.id, _csv(rows), "rows.csv")
    assert "prediction_" in result.frame.columns and result.columns["prediction"] == "prediction_"
    written = pd.read_csv(io.BytesIO(result.to_bytes("csv")))
    assert list(written["note"]) == ["'=HYPERLINK(\"http://x\")", "'+1", "plain", "'@SUM(A1)"]
    assert list(written["age"]) == list(rows["age"])  # numbers stay numbers
    path = tmp_path / "scored.parquet"
    assert result.write(path) == "parquet"
    back = pd.read_parquet(path)
    assert back["probability_yes"].dtype == float and list(back["note"]) == list(rows["note"])
    with pytest.raises(InputError, match="End the output file name with .csv or .parquet"):
        batch.output_format("scored.xlsx")


def test_neutralise_formula_only_touches_text_starting_like_a_formula():
    assert [neutralise_formula(v) for v in ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "x=1", "", None, -1, 2.5]] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "x=1", "", None, -1, 2.5]


def test_a_gzipped_csv_and_a_parquet_file_score_alike(workspace, actors, model, tmp_path):
    version, _, inputs = model
    gz = tmp_path / "rows.csv.gz"
    gz.write_bytes(gzip.compress(_csv(inputs)))
    pq = tmp_path / "rows.parquet"
    inputs.to_parquet(pq)
    a = batch.score_path(workspace, actors["admin"], version.id, gz)
    b = batch.score_path(workspace, actors["admin"], version.id, pq)
    assert list(a.frame["prediction"]) == list(b.frame["prediction"])


def test_bad_input_teaches_and_only_builders_score(workspace, actors, model, monkeypatch):
    version, _, inputs = model
    with pytest.raises(InputError, match=r"rows.csv has no column 'city', which model .* needs in every row"):
        batch.score_bytes(workspace, actors["analyst"], version.id, _csv(inputs.drop(columns="city")), "rows.csv")
    monkeypatch.setenv("LIFECYCLE_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(InputError, match="over the upload limit"):
        batch.score_bytes(workspace, actors["analyst"], version.id, _csv(inputs), "rows.csv")
    for role in ("stakeholder", "reviewer"):
        with pytest.raises(PermissionDenied, match="may not score files with a model version"):
            batch.score_bytes(workspace, actors[role], version.id, _csv(inputs), "rows.csv")


def test_a_changed_model_file_is_refused_and_audited(workspace, actors, model):
    version, _, inputs = model
    path = registry.artifact_path(workspace, version)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(InputError, match="changed after it was registered"):
        batch.score_bytes(workspace, actors["analyst"], version.id, _csv(inputs), "rows.csv")
    assert audit.recent_events(workspace, entity_prefix=f"model:{version.id}")[-1].action == "model.load_refused"


def test_a_regression_model_gets_statistics_instead_of_counts(workspace, actors):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
    from lifecycle.problem import projects

    project = projects.create_project(workspace, actors["analyst"], name="Hours", task="regression", target="y")
    inputs, _ = deploy_model.frame()
    y = inputs["age"] * 2.0
    recipe = default_recipe(inputs.assign(y=y), target="y")
    pipeline = Pipeline([("recipe", compile_recipe(recipe, inputs.assign(y=y))), ("model", Ridge())]).fit(inputs, y)
    version = registry.register_pipeline(workspace, actors["analyst"], project_id=project.id, run_id=2,
                                         pipeline=pipeline, schema=registry.input_schema(recipe, inputs),
                                         trained_by="analyst")
    result = batch.score_bytes(workspace, actors["analyst"], version.id, _csv(inputs), "rows.csv")
    assert [c for c in result.frame.columns if c.startswith("probability_")] == []
    np.testing.assert_allclose(result.frame["prediction"], pipeline.predict(inputs))
    assert result.summary.distribution == {} and set(result.summary.statistics) == {"mean", "min", "median", "max"}
    assert result.summary.lines()[1].startswith("Predictions: mean ")
