"""A tiny registered model and its deployment manifest, shared by the service and log tests."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.deploy.manifest import Manifest, ServedVersion, write_manifest
from lifecycle.models import registry


def frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.integers(18, 70, n), "hours": rng.normal(40, 8, n).round(1),
                      "city": rng.choice(["north", "south"], n)})
    X.loc[::10, "hours"] = np.nan
    y = np.where(X["age"] + rng.normal(0, 8, n) > 45, "yes", "no")
    return X, y


def register(workspace, analyst, *, C=1.0, seed=0):
    """Fit and register a small pipeline; returns (ServedVersion with share 1, fitted pipeline, X)."""
    X, y = frame(seed=seed)
    recipe = default_recipe(X.assign(y=y), target="y")
    # age is not imputed (and has no empty value in training): a serving row must carry it
    recipe = dataclasses.replace(recipe, steps=tuple(dataclasses.replace(step, imputation="none")
                                                     if step.column == "age" else step for step in recipe.steps))
    pipeline = Pipeline([("recipe", compile_recipe(recipe, X.assign(y=y))), ("model", LogisticRegression(C=C))])
    pipeline.fit(X, y)
    schema = registry.input_schema(recipe, X)
    version = registry.register_pipeline(workspace, analyst, project_id=1, run_id=1, pipeline=pipeline,
                                         schema=schema, trained_by="analyst")
    entry = ServedVersion(version_id=version.id, version=version.version,
                          artifact=str(registry.artifact_path(workspace, version)), share=1.0,
                          artifact_hash=version.artifact_hash, input_schema=schema)
    return entry, pipeline, X


def deploy(folder: Path, *versions: ServedVersion, shadow: ServedVersion | None = None) -> Manifest:
    return write_manifest(folder, Manifest(project_id=1, project="Churn", task="binary", positive_class="yes",
                                           versions=tuple(versions), shadow=shadow))


def rows(X: pd.DataFrame, n: int, start: int = 0) -> list[dict]:
    """Rows as a JSON client sends them (None for NaN)."""
    out = []
    for record in X.iloc[start:start + n].to_dict("records"):
        out.append({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()})
    return out
