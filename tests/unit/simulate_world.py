"""A small project with a model in production, for the traffic simulator's tests: synthetic rows
(age, hours with a few empty values, a city, a binary target driven by age), frozen, split,
trained (logistic regression), validated, signed off and promoted through the real gates."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle import auth
from lifecycle.data import datasets, preparation
from lifecycle.deploy import promotion
from lifecycle.develop import search
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.validate import stage as validate_stage
from lifecycle.workspace import Workspace, open_workspace
from tests.unit import govern_fixtures

ROOT = Path(__file__).resolve().parents[2]
ROWS = 500
TEST_SIZE = 0.3


def csv_bytes(rows: int = ROWS, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    hours = rng.normal(40, 8, rows).round(1)
    city = rng.choice(["north", "south", "east"], rows, p=[0.5, 0.3, 0.2])
    signal = (age - 45) / 10 + (city == "north") * 0.5 + rng.normal(0, 1, rows)
    frame = pd.DataFrame({"age": age, "hours": hours, "city": city, "y": np.where(signal > 0.3, "yes", "no")})
    frame.loc[::13, "hours"] = np.nan
    return frame.to_csv(index=False).encode()


def users(workspace: Workspace) -> dict:
    return {user.role: user for user in auth.list_users(workspace)}


def new_workspace(path: Path) -> Workspace:
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    for name in ("analyst", "reviewer", "stakeholder"):
        auth.add_user(workspace, admin, name, name)
    return workspace


def production_project(workspace: Workspace, name: str = "Visits", *, rows: int = ROWS):
    """A binary project (positive class 'yes') of ``rows`` rows whose v1 is in production; returns the project."""
    people = users(workspace)
    analyst = people["analyst"]
    project = projects.create_project(workspace, analyst, name=name, task="binary", target="y", positive_class="yes")
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, csv_bytes(rows), f"{name.lower()}.csv")
    recipe = preparation.save_recipe(workspace, analyst, project.id, "base",
                                     preparation.suggested_recipe(workspace, dataset, project))
    frozen = preparation.freeze_dataset(workspace, analyst, dataset.id, recipe.id)
    split = preparation.create_split(workspace, analyst, frozen.id, method="stratified", seed=1, test_size=TEST_SIZE,
                                     validation_size=0.1)
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                               algorithm="linear", method="none", cv_folds=3)
    version = registry.register_run(workspace, analyst, result.best_run_id)
    validate_stage.validate_version(workspace, analyst, version.id, n_bootstrap=20)
    govern_fixtures.make_signable(workspace, analyst, project.id)  # low risk: one reviewer's sign-off approves
    govern_fixtures.approve(workspace, people["reviewer"], version.id)
    promotion.move(workspace, analyst, version.id, "production", "first release")
    return project
