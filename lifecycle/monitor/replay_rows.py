"""The rows a traffic simulation replays: the held-out (test split) rows of the dataset version the
production model was trained on, in the columns of its input schema, with their true labels named
as the scoring service names classes (a binary model's 1 is the project's positive class).

:func:`replay_rows` reads them from the workspace (dataset version, split, run) and keeps a copy
beside it, ``simulation/<project id>/rows-<version id>.parquet`` in the workspace's files folder,
so :func:`cached_replay_rows` can serve them without opening the database: the app holds the
workspace file while it runs, and the ``simulate`` command must work beside it. The copy is
named by the version and carries its artifact hash; a version's test rows never change (dataset
versions and splits are immutable), so a copy is valid for as long as its version serves.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle.deploy.manifest import Manifest, manifest_path, read_manifest
from lifecycle.deploy.paths import deploy_dir, files_dir
from lifecycle.errors import InputError
from lifecycle.records import InputColumn, Project
from lifecycle.workspace import Workspace

LABEL_COLUMN = "__lifecycle_label__"  # the true label beside the inputs in the cached copy
META_KEY = b"lifecycle.replay_rows"


@dataclass(frozen=True, kw_only=True, eq=False)
class ReplayRows:
    """Held-out rows of a project's production version: ``frame`` (n rows, the schema's columns,
    index 0..n-1) and ``labels`` (n true labels as the service names classes)."""

    project_id: int
    project: str
    task: str
    version_id: int
    artifact_hash: str
    schema: tuple[InputColumn, ...]
    frame: pd.DataFrame
    labels: np.ndarray  # dtype object: plain Python values
    positive_class: str | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def positives(self) -> np.ndarray:
        """A boolean per row: its label is the positive class (all False when there is none)."""
        if self.positive_class is None:
            return np.zeros(len(self.labels), dtype=bool)
        return np.array([label == self.positive_class for label in self.labels], dtype=bool)


def simulation_dir(workspace_path: Path, project_id: int) -> Path:
    """``<workspace>.files/simulation/<project id>/``: the simulator's files for one project."""
    return files_dir(workspace_path) / "simulation" / str(int(project_id))


def production_manifest(workspace_path: Path, project_id: int, name: str | None = None) -> Manifest:
    """The project's deployment manifest with a version in production (read from disk, no database).
    Raises InputError (naming the project as ``name``, else by id) when nothing of it is in production."""
    folder = deploy_dir(workspace_path, project_id)
    manifest = read_manifest(folder) if manifest_path(folder).exists() else None
    if manifest is None or manifest.production is None:
        shown = repr(name) if name else f"project #{project_id}"
        raise InputError(f"Nothing of {shown} is in production, so there is no model to send traffic to.",
                         "Promote an approved version to production first (the Deploy page, or "
                         "`python -m lifecycle move VERSION_ID production --reason ...`).")
    return manifest


def replay_rows(workspace: Workspace, project: Project) -> ReplayRows:
    """The held-out rows of ``project``'s production version, loaded from the workspace (and copied
    beside it for :func:`cached_replay_rows`). Raises InputError when nothing is in production, the
    split has no test rows, or the test rows lack an input column; NotFound for a missing run."""
    from lifecycle.develop import training
    from lifecycle.models import registry
    from lifecycle.validate.held_out import no_test_rows

    manifest = production_manifest(workspace.path, project.id, project.name)
    served = manifest.production
    version = registry.get_version(workspace, served.version_id)
    data = training.data_for_run(workspace, training.get_run(workspace, version.run_id))
    if len(data.X_test) == 0:
        raise no_test_rows(data.split)
    names = [c.name for c in served.input_schema]
    missing = [n for n in names if n not in data.X_test.columns]
    if missing:
        raise InputError(f"The test rows of {data.dataset.label} lack the input column {missing[0]!r} of "
                         f"{served.label}.", "Replay a version trained on this dataset version.")
    frame = data.X_test.loc[:, names].reset_index(drop=True)
    labels = np.array([_named(manifest, value) for value in data.y_test.tolist()], dtype=object)
    rows = ReplayRows(project_id=project.id, project=project.name, task=manifest.task, version_id=served.version_id,
                      artifact_hash=served.artifact_hash, schema=tuple(served.input_schema), frame=frame,
                      labels=labels, positive_class=manifest.positive_class if manifest.task == "binary" else None)
    _write_copy(workspace.path, rows)
    return rows


def cached_replay_rows(workspace_path: Path, project_id: int) -> ReplayRows | None:
    """The copy :func:`replay_rows` kept for the version now in production, read without the
    database; None when there is none (or it belongs to another version or artifact). Raises
    InputError when nothing is in production."""
    manifest = production_manifest(workspace_path, project_id)
    served = manifest.production
    path = _copy_path(workspace_path, project_id, served.version_id)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    names = [c.name for c in served.input_schema]
    if meta.get("artifact_hash") != served.artifact_hash or not set(names) <= set(table.column_names):
        return None
    labels = np.array(table.column(LABEL_COLUMN).to_pylist(), dtype=object)
    frame = table.select(names).to_pandas()
    return ReplayRows(project_id=project_id, project=manifest.project, task=manifest.task,
                      version_id=served.version_id, artifact_hash=served.artifact_hash,
                      schema=tuple(served.input_schema), frame=frame, labels=labels,
                      positive_class=manifest.positive_class if manifest.task == "binary" else None)


def _named(manifest: Manifest, value: Any) -> Any:
    """A label as the service names it: a binary model's code mapped by ``class_labels``."""
    value = value.item() if isinstance(value, np.generic) else value
    if manifest.task == "binary" and manifest.class_labels:
        key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return manifest.class_labels.get(key, value)
    return value


def _copy_path(workspace_path: Path, project_id: int, version_id: int) -> Path:
    return simulation_dir(workspace_path, project_id) / f"rows-{int(version_id)}.parquet"


def _write_copy(workspace_path: Path, rows: ReplayRows) -> Path:
    path = _copy_path(workspace_path, rows.project_id, rows.version_id)
    if LABEL_COLUMN in rows.frame.columns:  # an input named like our label column: keep no copy
        return path
    table = pa.Table.from_pandas(rows.frame, preserve_index=False)
    table = table.append_column(LABEL_COLUMN, pa.array(rows.labels.tolist()))
    meta = {"version_id": rows.version_id, "artifact_hash": rows.artifact_hash, "project": rows.project}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".rows-", suffix=".partial")
    os.close(fd)
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
