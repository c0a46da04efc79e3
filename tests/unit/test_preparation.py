"""Stage 2 preparation: saved recipes, frozen prepared versions and reproducible splits."""
from __future__ import annotations

import dataclasses

import pytest

from lifecycle import audit
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.errors import InputError
from lifecycle.data.recipe.compiler import ColumnStep, Recipe, RowFilter
from lifecycle.data.splits import assignment_hash, split_counts


def _csv(n: int = 40, extra: str = "") -> bytes:
    lines = ["id,age,city,score,y"]
    for i in range(n):
        score = "" if i % 10 == 3 else f"{i * 0.5:.1f}"
        city = ("Oslo", "Rome", "Lima")[i % 3]
        lines.append(f"{i + 1},{20 + i % 30},{city},{score},{'yes' if i % 4 == 0 else 'no'}")
    return ("\n".join(lines) + "\n" + extra).encode()


@pytest.fixture
def analyst(actors):
    return actors["analyst"]


@pytest.fixture
def dataset(workspace, analyst, project):
    return datasets.ingest_bytes(workspace, analyst, project.id, _csv(), "people.csv")


@pytest.fixture
def recipe(workspace, dataset, project):
    suggested = preparation.suggested_recipe(workspace, dataset, project, ignore=("city",))
    return dataclasses.replace(suggested, filters=(RowFilter(column="age", op=">=", value=30),))


def test_suggested_recipe_sets_ignored_columns_aside(workspace, dataset, project):
    suggested = preparation.suggested_recipe(workspace, dataset, project, ignore=("city",))
    assert suggested.step("city").role == "ignore" and suggested.step("city").note == "set aside by the analyst"
    assert suggested.step("id").role == "id"
    assert suggested.step("y").role == "target"
    assert suggested.step("age").role == "feature"


def test_save_recipe_versions_and_audits(workspace, analyst, project, dataset, recipe):
    first = preparation.save_recipe(workspace, analyst, project.id, " base ", recipe, dataset)
    second = preparation.save_recipe(workspace, analyst, project.id, "base", recipe, dataset)
    assert (first.name, first.version, second.version) == ("base", 1, 2)
    assert preparation.recipe_of(preparation.get_recipe(workspace, first.id)) == recipe
    assert [r.id for r in preparation.list_recipes(workspace, project.id)] == [first.id, second.id]
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.details) == ("recipe.saved", {"project_id": project.id, "name": "base",
                                                             "version": 2})


def test_save_recipe_names_an_unknown_column(workspace, analyst, project, dataset, recipe):
    bad = dataclasses.replace(recipe, steps=recipe.steps + (ColumnStep(column="ghost", kind="numeric"),))
    before = workspace.db.value("SELECT count(*) FROM audit_log")
    with pytest.raises(InputError) as caught:
        preparation.save_recipe(workspace, analyst, project.id, "bad", bad, dataset)
    assert "The recipe step names column 'ghost', which is not in the data" in str(caught.value)
    assert "Available columns: 'id', 'age', 'city', 'score', 'y'" in str(caught.value)
    assert preparation.list_recipes(workspace, project.id) == []
    assert workspace.db.value("SELECT count(*) FROM audit_log") == before


def test_save_recipe_names_an_unknown_filter_column(workspace, analyst, project, dataset, recipe):
    bad = dataclasses.replace(recipe, filters=(RowFilter(column="agee", op=">", value=1),))
    with pytest.raises(InputError, match="Filter 'agee > 1' names column 'agee', which is not in the data"):
        preparation.save_recipe(workspace, analyst, project.id, "bad", bad, dataset)


def test_save_recipe_needs_a_name(workspace, analyst, project, recipe):
    with pytest.raises(InputError, match="Recipe name '' is empty or longer than 80 characters. Give a short name"):
        preparation.save_recipe(workspace, analyst, project.id, "  ", recipe)


def test_freeze_applies_filters_keeps_types_and_records_lineage(workspace, analyst, project, dataset, recipe):
    saved = preparation.save_recipe(workspace, analyst, project.id, "base", recipe, dataset)
    frozen = preparation.freeze_dataset(workspace, analyst, dataset.id, saved.id)
    assert frozen.rows == 20  # ages 20..49 then 20..29; keep >= 30
    assert frozen.columns == dataset.columns  # same names and types
    assert (frozen.name, frozen.version) == (dataset.name, 2)
    lineage = frozen.lineage
    assert (lineage.kind, lineage.parent_id, lineage.recipe_id) == ("derived", dataset.id, saved.id)
    assert lineage.source_hash == dataset.content_hash
    assert lineage.notes == ("recipe base v1", "20 rows filtered out")
    parent_table = datasets.load_table(workspace, dataset)
    frozen_table = datasets.load_table(workspace, frozen)
    assert frozen_table.schema == parent_table.schema
    assert min(frozen_table.column("age").to_pylist()) == 30
    assert frozen_table.column("score").null_count == 2  # missing values kept as missing
    assert datasets.verify_dataset(workspace, frozen)
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "dataset.frozen" and event.details["parent_id"] == dataset.id


def test_freeze_that_removes_every_row(workspace, analyst, project, dataset, recipe):
    harsh = dataclasses.replace(recipe, filters=(RowFilter(column="age", op=">", value=1000),))
    saved = preparation.save_recipe(workspace, analyst, project.id, "harsh", harsh, dataset)
    with pytest.raises(InputError, match="The filters of recipe harsh v1 remove every row of people v1.*Loosen"):
        preparation.freeze_dataset(workspace, analyst, dataset.id, saved.id)
    assert len(datasets.list_datasets(workspace, project.id)) == 1


def test_freeze_refuses_another_projects_recipe(workspace, analyst, project, dataset, recipe):
    other = projects.create_project(workspace, analyst, name="Other", task="binary", target="y", positive_class="yes")
    saved = preparation.save_recipe(workspace, analyst, other.id, "theirs", recipe)
    with pytest.raises(InputError, match=f"Recipe #{saved.id} belongs to another project"):
        preparation.freeze_dataset(workspace, analyst, dataset.id, saved.id)


def test_freeze_with_suggested_recipe_saves_the_suggestion_then_freezes(workspace, analyst, project, dataset):
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id, ignore=("city",))
    [saved] = preparation.list_recipes(workspace, project.id)
    assert (saved.name, saved.version, frozen.lineage.recipe_id) == ("people-suggested", 1, saved.id)
    assert preparation.recipe_of(saved) == preparation.suggested_recipe(workspace, dataset, project, ignore=("city",))
    assert (frozen.version, frozen.rows, frozen.lineage.parent_id) == (2, dataset.rows, dataset.id)
    assert [e.action for e in audit.recent_events(workspace, limit=2)] == ["recipe.saved", "dataset.frozen"]
    again = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id, name="mine")
    assert preparation.get_recipe(workspace, again.lineage.recipe_id).name == "mine"


def test_freeze_with_suggested_recipe_needs_edit_rights(workspace, actors, project, dataset):
    from lifecycle.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="may not ingest data"):
        preparation.freeze_with_suggested_recipe(workspace, actors["stakeholder"], dataset.id)
    assert preparation.list_recipes(workspace, project.id) == []


def test_split_counts_add_up_and_reproduce(workspace, analyst, dataset):
    split = preparation.create_split(workspace, analyst, dataset.id, method="stratified", seed=7,
                                     test_size=0.2, validation_size=0.1)
    assert split.counts == {"train": 28, "validation": 4, "test": 8}
    assert sum(split.counts.values()) == dataset.rows
    assignment = preparation.split_assignment(workspace, split)
    assert assignment_hash(assignment) == split.assignment_hash
    assert split_counts(assignment) == split.counts
    assert preparation.splits_for(workspace, dataset.id) == [split]
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "split.created" and event.details["counts"] == split.counts


def test_random_and_group_splits(workspace, analyst, dataset):
    random = preparation.create_split(workspace, analyst, dataset.id, method="random", seed=1)
    assert random.counts == {"train": 32, "validation": 0, "test": 8}
    grouped = preparation.create_split(workspace, analyst, dataset.id, method="group", column="city",
                                       test_size=0.3)
    assert sum(grouped.counts.values()) == 40
    assert preparation.split_assignment(workspace, grouped).groupby(
        datasets.load_frame(workspace, dataset)["city"]).nunique().max() == 1


def test_split_that_no_longer_reproduces(workspace, analyst, dataset):
    split = preparation.create_split(workspace, analyst, dataset.id, method="random", seed=1)
    tampered = dataclasses.replace(split, assignment_hash="0" * 64)
    with pytest.raises(InputError, match=f"Split #{split.id} no longer reproduces.*Create a new split"):
        preparation.split_assignment(workspace, tampered)


def test_stratified_split_on_a_class_with_one_member(workspace, analyst, project):
    lonely = datasets.ingest_bytes(workspace, analyst, project.id, _csv(extra="99,50,Oslo,1.0,maybe\n"),
                                   "lonely.csv")
    before = workspace.db.value("SELECT count(*) FROM splits")
    with pytest.raises(InputError) as caught:
        preparation.create_split(workspace, analyst, lonely.id, method="stratified")
    assert "Class 'maybe' of target 'y' has only 1 row(s)" in str(caught.value)
    assert "Use the 'random' method, or merge rare classes" in str(caught.value)
    assert workspace.db.value("SELECT count(*) FROM splits") == before


def test_split_column_missing(workspace, analyst, dataset):
    with pytest.raises(InputError, match="Split column 'region' is not in people v1.*Choose one of: id, age"):
        preparation.create_split(workspace, analyst, dataset.id, method="group", column="region")


def test_split_of_an_auxiliary_table(workspace, analyst, project):
    aux = datasets.ingest_bytes(workspace, analyst, project.id, b"city,country\nOslo,NO\nRome,IT\n",
                                "cities.csv", auxiliary=True)
    with pytest.raises(InputError, match="is an auxiliary table without the target. Split a primary"):
        preparation.create_split(workspace, analyst, aux.id, method="random")


def test_readers_cannot_prepare(workspace, actors, project, dataset, recipe):
    from lifecycle.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="reviewer \\(reviewer\\) may not ingest data"):
        preparation.save_recipe(workspace, actors["reviewer"], project.id, "r", recipe)
    with pytest.raises(PermissionDenied):
        preparation.create_split(workspace, actors["stakeholder"], dataset.id, method="random")


def test_recipe_round_trips(recipe):
    assert Recipe.from_dict(recipe.to_dict()) == recipe
