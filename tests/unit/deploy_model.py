"""A tiny registered model for the Deploy stage's tests: three input columns, a logistic regression."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.models import registry


def frame(n=120, seed=0):
    """Inputs (age, hours with a few empty values, city) and a yes/no target driven by age."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame({"age": rng.integers(18, 70, n), "hours": rng.normal(40, 8, n).round(1),
                           "city": rng.choice(["north", "south"], n)})
    inputs.loc[::10, "hours"] = np.nan
    y = np.where(inputs["age"] + rng.normal(0, 8, n) > 45, "yes", "no")
    return inputs, y


def register(workspace, actor, project_id, *, run_id=1):
    """Fit and register the model (age may not be empty at serving); returns (version, pipeline, inputs)."""
    inputs, y = frame()
    recipe = default_recipe(inputs.assign(y=y), target="y")
    recipe = dataclasses.replace(recipe, steps=tuple(dataclasses.replace(step, imputation="none")
                                                     if step.column == "age" else step for step in recipe.steps))
    pipeline = Pipeline([("recipe", compile_recipe(recipe, inputs.assign(y=y))), ("model", LogisticRegression())])
    pipeline.fit(inputs, y)
    version = registry.register_pipeline(workspace, actor, project_id=project_id, run_id=run_id, pipeline=pipeline,
                                         schema=registry.input_schema(recipe, inputs), trained_by=actor.name)
    return version, pipeline, inputs
