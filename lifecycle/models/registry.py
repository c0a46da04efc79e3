"""Registering a run as a model version, and loading it back safely.

The fitted pipeline (recipe + estimator) is saved with skops under the SHA-256 of its bytes,
never pickled. Loading goes through ``models.artifacts.load_artifact``: it re-hashes the file and
refuses any type outside an explicit allow-list kept in code (never read from the file); here a
refusal is also written to the audit trail.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.pipeline import Pipeline

from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.hashing import sha256_file
from lifecycle.models.artifacts import TRUSTED_TYPES, ArtifactRefused, load_artifact  # noqa: F401 (public here too)
from lifecycle.records import InputColumn, ModelState, ModelVersion
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

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
            # as the recipe reads a category (AsText: 1.0 and 1 are one), so serving compares like with like
            from lifecycle.data.recipe.transformers import AsText
            texts = AsText().fit_transform(series.dropna().to_frame())[:, 0]
            categories = tuple(sorted({str(t) for t in texts}))[:1000]
        imputes = step is not None and getattr(step, "imputation", "none") != "none"
        columns.append(InputColumn(name=name, dtype=dtype, kind=kind, categories=categories,
                                   nullable=bool(imputes or series.isna().any())))
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
    """Save a fitted pipeline with skops under its content hash and record it as a ``candidate`` model version of
    the project, with its input ``schema`` (one InputColumn per serving column) and an audit event in one
    transaction. Raises PermissionDenied (needs TRAIN)."""
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
    """Load a registered pipeline after checking its hash and every type it needs (``load_artifact``);
    a refusal is written to the audit trail before it is raised. A retired version is refused
    (InputError): it can never serve or score again."""
    if version.state == ModelState.RETIRED:
        raise InputError(f"Model {version.label} is retired: it can never serve or score again.",
                         "Its artifact is kept in its archive (Retire page); use a version that is not retired.")
    try:
        return load_artifact(artifact_path(workspace, version), version.artifact_hash, version.label)
    except ArtifactRefused as refused:
        raise _refuse(workspace, version, actor_name, refused.problem, refused.fix) from None


def get_version(workspace: Workspace, version_id: int) -> ModelVersion:
    """The model version with this id. Raises NotFound."""
    version = model_store.get_version(workspace.db.cursor(), version_id)
    if version is None:
        raise NotFound(f"No model version with id {version_id}.", "Register a run on the Develop page first.")
    return version


def list_versions(workspace: Workspace, project_id: int) -> list[ModelVersion]:
    """Every model version of a project, oldest first."""
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
