"""One check, one message: the project's target is missing from some data."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lifecycle.data import datasets
from lifecycle.data.recipe.checks import validate_recipe
from lifecycle.data.recipe.compiler import default_recipe
from lifecycle.data.splits import SplitSpec, assign_split
from lifecycle.develop.feasibility import check_feasibility
from lifecycle.errors import InputError
from lifecycle.problem import projects
from lifecycle.problem.target import CHANGE_TARGET, check_target_column

MISSING = r"Column 'y' \(the project's target\) is not in the data; its columns are: age, city\."


def test_present_target_passes():
    check_target_column("y", ["age", "y"], "t.csv")


def test_the_message_names_column_project_source_and_columns():
    with pytest.raises(InputError) as caught:
        check_target_column("y", [f"c{i}" for i in range(20)], "t.csv", project="Churn")
    assert caught.value.problem == ("Column 'y' (the target of project 'Churn') is not in t.csv; its columns are: "
                                    + ", ".join(f"c{i}" for i in range(15)) + " ….")
    assert caught.value.fix == CHANGE_TARGET


def test_a_recipe_and_a_stratified_split_say_the_same():
    frame = pd.DataFrame({"age": [1, 2, 3, 4], "city": ["a", "b", "a", "b"]})
    recipe = default_recipe(frame.assign(y=[0, 1, 0, 1]), target="y")
    with pytest.raises(InputError, match=MISSING):
        validate_recipe(dataclasses.replace(recipe, steps=tuple(s for s in recipe.steps if s.column != "y")),
                        frame, "y")
    with pytest.raises(InputError, match=MISSING):
        assign_split(frame, SplitSpec(method="stratified", seed=0, test_size=0.5), "y")


def test_feasibility_after_the_target_changed(workspace, actors, project):
    analyst = actors["analyst"]
    rows = b"age,city,y\n" + b"".join(f"{i},{'ab'[i % 2]},{'yes' if i % 3 else 'no'}\n".encode() for i in range(40))
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, rows, "people.csv")
    renamed = projects.update_project(workspace, analyst, project.id, target="label")
    with pytest.raises(InputError) as caught:
        check_feasibility(workspace, renamed)
    assert str(caught.value) == (f"Column 'label' (the target of project 'Churn') is not in {dataset.label}; "
                                 f"its columns are: age, city, y. {CHANGE_TARGET}")
