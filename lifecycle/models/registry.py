"""Registering a run as a model version, and loading it back safely.

The fitted pipeline (recipe + estimator) is saved with skops under the SHA-256 of its bytes,
never pickled. Loading re-hashes the file and refuses any type outside an explicit allow-list
kept here in code (never read from the file), writing an audit event for every refusal.
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.pipeline import Pipeline

from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.hashing import sha256_file
from lifecycle.records import InputColumn, ModelVersion
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

# Types skops does not trust by default that our pipelines legitimately contain.
TRUSTED_TYPES = frozenset({
    "fairlearn.preprocessing._correlation_remover.CorrelationRemover",
    "lifecycle.review.fair_models.GroupThresholdClassifier",
    "lifecycle.review.fair_models.MixtureClassifier",
    "lifecycle.data.recipe.transformers.AsText",
    "lifecycle.data.recipe.transformers.DerivedColumnTransformer",
    "lifecycle.data.recipe.transformers.InfToNaN",
    "lifecycle.data.recipe.transformers.OutlierClipper",
    "lifecycle.data.recipe.transformers.ParseNumbers",
    "lifecycle.data.recipe.transformers.category_feature_name",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # k-nearest neighbours: the fitted search tree and its distance (the catalogue's knn uses
    # the default Minkowski metric; p=1 and p=2 pick these).
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.tree._tree.Tree",
})

# Artifacts saved before the stage packages name their classes by the old flat modules; they
# load through these aliases. Only the module part is translated: the class must still be on
# TRUSTED_TYPES under its new name.
LEGACY_MODULES = {
    "lifecycle.transformers": "lifecycle.data.recipe.transformers",
    "lifecycle.fair_models": "lifecycle.review.fair_models",
}


def _current_name(type_name: str) -> str:
    module, _, name = type_name.rpartition(".")
    return f"{LEGACY_MODULES.get(module, module)}.{name}"


def _alias_legacy_modules(type_names: set[str]) -> None:
    for type_name in type_names:
        module = type_name.rpartition(".")[0]
        if module in LEGACY_MODULES and module not in sys.modules:
            sys.modules[module] = importlib.import_module(LEGACY_MODULES[module])


def models_dir(workspace: Workspace) -> Path:
    return workspace.artifacts_dir / "models"


def artifact_path(workspace: Workspace, version: ModelVersion) -> Path:
    return models_dir(workspace) / f"{version.artifact_hash}.skops"


def input_schema(recipe, frame: pd.DataFrame) -> tuple[InputColumn, ...]:
    """What a serving row must carry: each input column, its type and, for categories, the values seen."""
    from lifecycle.data.recipe.checks import column_kind
    from lifecycle.store.datasets import arrow_type_name
    import pyarrow as pa

    columns = []
    for name in recipe.input_columns:
        series = frame[name]
        step = recipe.step(name) if hasattr(recipe, "step") else None
        kind = step.kind if step is not None and step.role == "feature" else column_kind(series)
        dtype = arrow_type_name(pa.Array.from_pandas(series).type)
        categories = ()
        if kind == "categorical":
            categories = tuple(sorted(str(v) for v in series.dropna().unique()))[:1000]
        columns.append(InputColumn(name=name, dtype=dtype, kind=kind, categories=categories))
    return tuple(columns)


def save_pipeline(workspace: Workspace, pipeline: Pipeline) -> str:
    """Write the pipeline with skops under its content hash; return the hash."""
    directory = models_dir(workspace)
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    os.close(fd)
    try:
        sio.dump(pipeline, temporary)
        digest = sha256_file(temporary)
        final = directory / f"{digest}.skops"
        if final.exists():
            Path(temporary).unlink()
        else:
            os.replace(temporary, final)
        return digest
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register_pipeline(workspace: Workspace, actor: User, *, project_id: int, run_id: int, pipeline: Pipeline,
                      schema: tuple[InputColumn, ...], trained_by: str) -> ModelVersion:
    require(actor, Permission.TRAIN)
    digest = save_pipeline(workspace, pipeline)
    with workspace.db.transaction() as cursor:
        version = model_store.insert_version(cursor, project_id=project_id, run_id=run_id, artifact_hash=digest,
                                             input_schema=schema, trained_by=trained_by, created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="model.registered", entity=f"model:{version.id}",
                         details={"project_id": project_id, "run_id": run_id, "version": version.version,
                                  "artifact_hash": digest, "state": version.state})
    return version


def _refuse(workspace: Workspace, version: ModelVersion, actor_name: str, problem: str, fix: str) -> InputError:
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor_name, action="model.load_refused", entity=f"model:{version.id}",
                         details={"reason": problem})
    return InputError(problem, fix)


def load_pipeline(workspace: Workspace, version: ModelVersion, *, actor_name: str = "system") -> Pipeline:
    """Load a registered pipeline after checking its hash and every type it needs."""
    path = artifact_path(workspace, version)
    if not path.exists():
        raise NotFound(f"The artifact of model {version.label} is missing ({path.name}).",
                       "Restore the workspace's .files folder from a backup, or register the run again.")
    if sha256_file(path) != version.artifact_hash:
        raise _refuse(workspace, version, actor_name,
                      f"The artifact of model {version.label} changed after it was registered (hash mismatch).",
                      "Do not use it: restore the file from a backup or register the run again.")
    untrusted = set(sio.get_untrusted_types(file=path))
    unknown = sorted(t for t in untrusted if _current_name(t) not in TRUSTED_TYPES)
    if unknown:
        raise _refuse(workspace, version, actor_name,
                      f"The artifact of model {version.label} holds types Lifecycle does not trust: {', '.join(unknown)}.",
                      "Register the model again from a run; never load model files from elsewhere.")
    _alias_legacy_modules(untrusted)
    return sio.load(path, trusted=sorted(untrusted))


def get_version(workspace: Workspace, version_id: int) -> ModelVersion:
    version = model_store.get_version(workspace.db.cursor(), version_id)
    if version is None:
        raise NotFound(f"No model version with id {version_id}.", "Register a run on the Develop page first.")
    return version


def list_versions(workspace: Workspace, project_id: int) -> list[ModelVersion]:
    return model_store.versions_for(workspace.db.cursor(), project_id)


def register_run(workspace: Workspace, actor: User, run_id: int) -> ModelVersion:
    """Fit the run's pipeline on its whole training split and register it as a candidate version."""
    from lifecycle.develop import training  # training imports scikit-learn's model zoo; only registering needs it

    require(actor, Permission.TRAIN)
    already = model_store.version_for_run(workspace.db.cursor(), run_id)
    if already is not None:
        raise InputError(f"Run #{run_id} is already registered as model {already.label}.",
                         "Open that version, or register another run.")
    run = training.get_run(workspace, run_id)
    pipeline, data = training.fit_run_pipeline(workspace, run_id)
    return register_pipeline(workspace, actor, project_id=run.project_id, run_id=run.id, pipeline=pipeline,
                             schema=input_schema(data.recipe, data.X_train), trained_by=run.created_by)
