"""The Adult project the model benchmarks share: the bundled data, the demo-style recipe, a
frozen version and a stratified split, in a fresh workspace under ``folder``."""
from __future__ import annotations

from pathlib import Path

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace


def adult_project(folder: Path, *, objectives=("roc_auc>=0.88", "recall>=0.6")):
    """Returns (workspace, analyst, project, frozen dataset version, split)."""
    workspace = open_workspace(folder / "bench.duckdb")
    admin = auth.init_admin(workspace, "admin")
    analyst = auth.add_user(workspace, admin, "ana", "analyst")
    project = projects.create_project(workspace, analyst, name="Income", task="binary", target="income",
                                      positive_class=">50K", sensitive=["sex", "race"], objectives=list(objectives))
    raw = datasets.ingest_bundled(workspace, analyst, project.id, "adult_train")
    recipe = preparation.save_recipe(workspace, analyst, project.id, "adult-default",
                                     preparation.suggested_recipe(workspace, raw, project, ignore=("fnlwgt",)))
    frozen = preparation.freeze_dataset(workspace, analyst, raw.id, recipe.id)
    split = preparation.create_split(workspace, analyst, frozen.id, method="stratified", seed=42, test_size=0.2,
                                     validation_size=0.1)
    return workspace, analyst, project, frozen, split
