"""Small synthetic datasets for the Develop-stage tests: frozen with a recipe and split."""
from __future__ import annotations

import numpy as np

from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.data.recipe.compiler import RowFilter

ROWS = 200


def csv_bytes(task: str, rows: int = ROWS, seed: int = 0, *, missing_target: int = 0,
              rare_class_rows: int = 0) -> bytes:
    """Columns a, b (numbers, b sometimes empty), c (text) and the target y."""
    rng = np.random.default_rng(seed)
    lines = ["a,b,c,y"]
    for i in range(rows):
        a, b = rng.normal(), rng.normal()
        c = ("u", "v", "w")[i % 3]
        signal = a + 0.5 * b + (c == "u") + rng.normal() * 0.5
        if task == "binary":
            y = "yes" if signal > 0.5 else "no"
        elif task == "multiclass":
            y = "low" if signal < 0 else "mid" if signal < 1 else "high"
            if i < rare_class_rows:
                y = "rare"
        else:
            y = f"{3 * signal + 10:.4f}"
        if i < missing_target:
            y = ""
        b_text = "" if i % 17 == 5 else f"{b:.4f}"
        lines.append(f"{a:.4f},{b_text},{c},{y}")
    return ("\n".join(lines) + "\n").encode()


def frozen_split(workspace, actor, project, data: bytes, *, method: str = "stratified", seed: int = 1,
                 test_size: float = 0.2, validation_size: float = 0.1, filters=()):
    """Ingest, save the suggested recipe, freeze and split; returns (frozen dataset, split)."""
    dataset = datasets.ingest_bytes(workspace, actor, project.id, data, "synthetic.csv")
    recipe = preparation.suggested_recipe(workspace, dataset, project)
    if filters:
        import dataclasses
        recipe = dataclasses.replace(recipe, filters=tuple(filters))
    saved = preparation.save_recipe(workspace, actor, project.id, "base", recipe)
    frozen = preparation.freeze_dataset(workspace, actor, dataset.id, saved.id)
    split = preparation.create_split(workspace, actor, frozen.id, method=method, seed=seed, test_size=test_size,
                                     validation_size=validation_size)
    return frozen, split


def make_project(workspace, actor, task: str, name: str | None = None, objectives=()):
    return projects.create_project(workspace, actor, name=name or f"{task} project", task=task, target="y",
                                   positive_class="yes" if task == "binary" else None, objectives=list(objectives))


NOT_NULL_Y = RowFilter(column="y", op="not_null")
