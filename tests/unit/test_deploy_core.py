"""Deploy core: the manifest (atomic, versioned), the schema check (row and column named), safe loading."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.deploy.manifest import Manifest, ServedVersion, manifest_path, read_manifest, write_manifest
from lifecycle.deploy.schema import SchemaError, check_frame, check_strict, frame_from_records
from lifecycle.deploy.scorer import load_version, score_rows
from lifecycle.errors import InputError
from lifecycle.models import registry
from lifecycle.models.artifacts import ArtifactRefused


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.integers(18, 70, n), "hours": rng.normal(40, 8, n).round(1),
                          "city": rng.choice(["north", "south"], n)})
    frame.loc[::10, "hours"] = np.nan
    y = np.where(frame["age"] + rng.normal(0, 8, n) > 45, "yes", "no")
    return frame, y


@pytest.fixture
def served(workspace, actors, tmp_path):
    frame, y = _frame()
    recipe = default_recipe(frame.assign(y=y), target="y")
    # age is not imputed (and has no empty value in training): a serving row must carry it
    recipe = dataclasses.replace(recipe, steps=tuple(dataclasses.replace(step, imputation="none")
                                                     if step.column == "age" else step for step in recipe.steps))
    pipeline = Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=y))), ("model", LogisticRegression())])
    pipeline.fit(frame, y)
    schema = registry.input_schema(recipe, frame)
    version = registry.register_pipeline(workspace, actors["analyst"], project_id=1, run_id=1, pipeline=pipeline,
                                         schema=schema, trained_by="analyst")
    folder = tmp_path / "deploy"
    artifact = registry.artifact_path(workspace, version)
    entry = ServedVersion(version_id=version.id, version=version.version, artifact=str(artifact), share=1.0,
                          artifact_hash=version.artifact_hash, input_schema=schema)
    manifest = write_manifest(folder, Manifest(project_id=1, project="Churn", task="binary", positive_class="yes",
                                               versions=(entry,)))
    return folder, manifest, pipeline, frame


def test_the_manifest_is_written_whole_with_a_new_generation_and_read_back(served):
    folder, manifest, _, _ = served
    assert read_manifest(folder) == manifest and manifest.generation == 1
    again = write_manifest(folder, manifest)
    assert again.generation == 2 and read_manifest(folder).generation == 2
    assert [p.name for p in folder.iterdir()] == ["manifest.json"]  # no temporary left behind


def test_shares_must_add_up_and_a_broken_manifest_is_named(served, tmp_path):
    folder, manifest, _, _ = served
    entry = manifest.versions[0]
    with pytest.raises(InputError, match="add up to 0.500, not 1"):
        Manifest(project_id=1, project="Churn", task="binary", versions=(ServedVersion(**{**entry.__dict__,
                                                                                         "share": 0.5}),))
    manifest_path(tmp_path).write_text("{not json")
    with pytest.raises(InputError, match="cannot be read"):
        read_manifest(tmp_path)
    manifest_path(tmp_path).write_text(json.dumps({"format": 99}))
    with pytest.raises(InputError, match="is not a deployment manifest"):
        read_manifest(tmp_path)


def test_scores_equal_the_pipeline_and_the_schema_says_which_row_and_column(served):
    folder, manifest, pipeline, frame = served
    loaded = load_version(folder, manifest, manifest.versions[0])
    assert loaded.classes == ("no", "yes")
    rows = frame.head(20).to_dict("records")
    scores = score_rows(loaded, frame_from_records(rows))
    np.testing.assert_allclose(scores.probabilities, pipeline.predict_proba(frame.head(20)))
    assert scores.predictions == list(pipeline.predict(frame.head(20)))
    as_text = frame.head(3).astype(str).replace("nan", "")  # CSV brings numbers as text
    assert score_rows(loaded, as_text.replace("", None)).predictions == list(pipeline.predict(frame.head(3)))

    bad = [dict(rows[0]), dict(rows[1], age="old"), dict(rows[2], city="west")]
    with pytest.raises(SchemaError) as refused:
        check_strict(manifest.versions[0].input_schema, frame_from_records(bad[:3]))
    assert [str(p) for p in refused.value.problems] == [
        "row 1, column 'age': 'old' is not a number (integer expected)",
        "row 2, column 'city': 'west' is not a category seen in training (known: north, south)"]
    partial = check_frame(manifest.versions[0].input_schema, frame_from_records(bad[:3]))
    assert list(partial.rows) == [0] and partial.failed_rows == [1, 2]
    no_city = check_frame(manifest.versions[0].input_schema, frame.head(2).drop(columns=["city"]))
    assert [str(p) for p in no_city.problems] == [
        "row 0, column 'city': the column is missing from every row (expected string)"]
    assert no_city.frame.empty


def test_empty_values_only_where_the_schema_allows_them(served):
    folder, manifest, _, frame = served
    schema = {c.name: c for c in manifest.versions[0].input_schema}
    assert schema["hours"].nullable and not schema["age"].nullable
    rows = [dict(frame.iloc[0], hours=None), dict(frame.iloc[1], age=float("nan"))]
    checked = check_frame(manifest.versions[0].input_schema, frame_from_records(rows))
    assert [str(p) for p in checked.problems] == [
        "row 1, column 'age': is empty, and this column may not be (it had no empty values in training and the "
        "recipe does not fill them)"]


def test_a_changed_artifact_is_refused_before_loading(served):
    folder, manifest, _, _ = served
    path = folder / manifest.versions[0].artifact
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ArtifactRefused, match="changed after it was registered"):
        load_version(folder, manifest, manifest.versions[0])


def test_a_float_stored_category_is_one_category_at_registration_and_in_serving():
    """A categorical column stored as floats (1.0, 2.0) is read by the recipe as '1', '2': the schema
    records it so, and a schema from before that fix ('1.0') still accepts 1 and 1.0."""
    from lifecycle.data.recipe.spec import ColumnStep, Recipe
    from lifecycle.records import InputColumn

    frame = pd.DataFrame({"grade": [1.0, 2.0, 1.0, None]})
    recipe = Recipe(steps=(ColumnStep(column="grade", role="feature", kind="categorical",
                                      imputation="most_frequent", encoding="onehot"),))
    [column] = registry.input_schema(recipe, frame)
    assert column.categories == ("1", "2")
    old = InputColumn(name="grade", dtype="float", kind="categorical", categories=("1.0", "2.0"))
    checked = check_frame((old,), pd.DataFrame({"grade": [1, 2.0, 3]}))
    assert [str(p) for p in checked.problems] == [
        "row 2, column 'grade': 3.0 is not a category seen in training (known: 1.0, 2.0)"]
