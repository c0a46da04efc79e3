"""Scoring with a served model version: load it safely from a manifest, check rows, predict.

Used by the scoring service, batch scoring and the exported bundle alike, so every path checks
the same schema and loads through the registry's safe loader (hash and allow-list checked).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from lifecycle.deploy.manifest import Manifest, ServedVersion
from lifecycle.deploy.schema import check_strict
from lifecycle.models.artifacts import load_artifact


@dataclass(frozen=True, kw_only=True)
class LoadedVersion:
    """A served version loaded for scoring: its manifest entry, the fitted pipeline, and its classes."""

    served: ServedVersion
    pipeline: Pipeline
    task: str
    classes: tuple[Any, ...]  # the model's classes (empty for regression), as plain Python values
    labels: dict[str, str] = field(default_factory=dict)  # class code -> the target's label (Manifest.class_labels)

    @property
    def label(self) -> str:
        return self.served.label

    def named(self, value: Any) -> Any:
        """A class as the target names it (a binary model's 1 is its positive class); anything else as is."""
        return self.labels.get(str(value), value) if self.labels else value

    @property
    def class_names(self) -> tuple[Any, ...]:
        """``classes`` as the target names them, in the same order (the probability columns' order)."""
        return tuple(self.named(c) for c in self.classes)


@dataclass(frozen=True, kw_only=True)
class Scores:
    """Predictions for n rows: one prediction each, and for classifiers an n x k probability matrix
    whose columns follow ``classes``."""

    predictions: list[Any]
    probabilities: np.ndarray | None
    classes: tuple[Any, ...]


def load_version(folder: Path, manifest: Manifest, served: ServedVersion) -> LoadedVersion:
    """Load ``served`` (its artifact path is relative to the manifest's ``folder``). Raises NotFound
    or ArtifactRefused (a changed file, an untrusted type) from the safe loader."""
    pipeline = load_artifact((Path(folder) / served.artifact).resolve(), served.artifact_hash,
                             f"{manifest.project} {served.label}")
    classes = tuple(_plain(c) for c in getattr(pipeline, "classes_", ())) if manifest.task != "regression" else ()
    labels = dict(manifest.class_labels) if manifest.task == "binary" else {}
    return LoadedVersion(served=served, pipeline=pipeline, task=manifest.task, classes=classes, labels=labels)


def score_frame(loaded: LoadedVersion, frame: pd.DataFrame) -> Scores:
    """Predict rows already checked against the schema (``schema.check_frame``)."""
    if frame.empty:
        return Scores(predictions=[], probabilities=None if not loaded.classes else np.empty((0, len(loaded.classes))),
                      classes=loaded.classes)
    predictions = [loaded.named(_plain(p)) for p in loaded.pipeline.predict(frame)]
    probabilities = None
    if loaded.classes and hasattr(loaded.pipeline, "predict_proba"):
        probabilities = np.asarray(loaded.pipeline.predict_proba(frame), dtype=float)
    return Scores(predictions=predictions, probabilities=probabilities, classes=loaded.class_names)


def score_rows(loaded: LoadedVersion, frame: pd.DataFrame) -> Scores:
    """Check ``frame`` against the version's schema (SchemaError names each row and column) and predict."""
    return score_frame(loaded, check_strict(loaded.served.input_schema, frame))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
