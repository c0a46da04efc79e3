"""The reference a model version's traffic is compared with, built once per version and stored.

- **Inputs**: the rows of the version's training split (the dataset version and split of its
  run), each input column of the version's schema: numeric columns as numbers, the others as the
  recipe names their categories (``category_text``: ``1.0`` and ``1`` are one category).
- **Predictions**: what the version predicts for the held-out **test** rows of that split (the
  rows validation judged it on; training rows would show an overfit model's confident answers):
  the predicted class, and for binary tasks the probability of the positive class (``score``);
  the predicted value for regression. The log's predictions are compared with these.
- **Labels**: the training split's target values by class (the class balance the model learnt).

Stored compressed (each distinct value and its count) in ``monitor_references`` and
``monitor_reference_values``; ``monitored_columns`` makes them ready to compare.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from lifecycle.auth import Permission, require
from lifecycle.errors import NotFound
from lifecycle.monitor.drift_columns import SCORE_NAME, MonitoredColumn
from lifecycle.monitor.drift_grid import Distribution
from lifecycle.records import InputColumn, ModelVersion, ReferenceColumn, ReferenceProfile, User
from lifecycle.records.drift import CATEGORICAL, INPUT, NUMERIC, PREDICTION
from lifecycle.store import audit_log
from lifecycle.store import monitor_drift as drift_store
from lifecycle.workspace import Workspace

SYSTEM = "system"  # who a reference built without a signed-in user is recorded as


def _kind(column: InputColumn) -> str:
    return NUMERIC if column.kind == NUMERIC else CATEGORICAL


def _categories(series: pd.Series) -> pd.Series:
    from lifecycle.data.recipe.transformers import category_text_column

    texts = category_text_column(series.reset_index(drop=True))  # str, or NaN when missing
    return pd.Series(texts[pd.notna(texts)], dtype=object)  # plain objects: pandas' Arrow strings cost 5 ms a column


def describe_column(series: pd.Series, *, source: str, name: str, kind: str,
                    dtype: str) -> tuple[ReferenceColumn, pd.DataFrame]:
    """One reference column and its value counts (source, feature, number, category, count)."""
    if kind == NUMERIC:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        distribution = Distribution.of(numbers)
        column = ReferenceColumn(source=source, name=name, kind=kind, dtype=dtype, rows=distribution.n,
                                 missing=int(len(series) - distribution.n),
                                 mean=distribution.mean if distribution.n else None,
                                 std=distribution.std if distribution.n else None)
        values = pd.DataFrame({"number": distribution.values, "category": None, "count": distribution.counts})
    else:
        counts = _categories(series).value_counts()
        column = ReferenceColumn(source=source, name=name, kind=kind, dtype=dtype, rows=int(counts.sum()),
                                 missing=int(len(series) - counts.sum()))
        values = pd.DataFrame({"number": np.nan, "category": counts.index.astype(str),
                               "count": counts.to_numpy(dtype=np.int64)})
    return column, values.assign(source=source, feature=name)


def describe(inputs: pd.DataFrame, schema: Sequence[InputColumn], *, predictions: Sequence[Any] | None = None,
             prediction_kind: str = CATEGORICAL, scores: Sequence[float] | None = None
             ) -> tuple[list[ReferenceColumn], pd.DataFrame]:
    """Reference columns and value counts from frames: ``inputs`` (the training rows, a column per
    schema entry; a column the frame lacks has no reference), the predictions on held-out rows
    and, for binary tasks, the positive class's probabilities."""
    columns, values = [], []
    for entry in schema:
        series = inputs[entry.name] if entry.name in inputs.columns else pd.Series([], dtype=object)
        column, counts = describe_column(series, source=INPUT, name=entry.name, kind=_kind(entry), dtype=entry.dtype)
        columns.append(column)
        values.append(counts)
    if predictions is not None:
        series = pd.Series(list(predictions), dtype=object)
        dtype = "string" if all(isinstance(p, str) for p in predictions) else "float"
        column, counts = describe_column(series, source=PREDICTION, name="prediction", kind=prediction_kind,
                                         dtype=dtype)
        columns.append(column)
        values.append(counts)
    if scores is not None:
        column, counts = describe_column(pd.Series(np.asarray(scores, dtype=float)), source=PREDICTION,
                                         name=SCORE_NAME, kind=NUMERIC, dtype="float")
        columns.append(column)
        values.append(counts)
    frame = pd.concat(values, ignore_index=True) if values else pd.DataFrame(
        columns=["number", "category", "count", "source", "feature"])
    return columns, frame[["source", "feature", "number", "category", "count"]]


def monitored_columns(columns: Sequence[ReferenceColumn], values: pd.DataFrame,
                      positive_class: str | None) -> list[MonitoredColumn]:
    """The profile's columns made ready to compare, in profile order."""
    # plain numpy columns, grouped once: pandas' Arrow-backed columns are slow to slice per group
    numbers = pd.to_numeric(values["number"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    counts = values["count"].to_numpy(dtype=np.int64)
    texts = values["category"].astype(str).to_numpy(dtype=object)
    rows: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(values["source"].tolist(), values["feature"].tolist())):
        rows.setdefault(key, []).append(i)
    out = []
    for column in columns:
        mine = np.asarray(rows.get((column.source, column.name), []), dtype=np.int64)
        score_class = positive_class if column.source == PREDICTION and column.name == SCORE_NAME else None
        if column.kind == NUMERIC:
            out.append(MonitoredColumn.of(column, numbers=numbers[mine], counts=counts[mine], score_class=score_class))
        else:
            out.append(MonitoredColumn.of(column, categories={str(t): int(c) for t, c in zip(texts[mine],
                                                                                           counts[mine])}))
    return out


def _predictions(workspace: Workspace, version: ModelVersion, data, actor_name: str) -> dict[str, Any]:
    """The version's predictions on the split's test rows (named as the service names them)."""
    from lifecycle.deploy.labels import class_labels
    from lifecycle.models import registry

    if len(data.X_test) == 0:
        return {}
    pipeline = registry.load_pipeline(workspace, version, actor_name=actor_name)
    project = data.project
    labels = class_labels(workspace, project) if project.task == "binary" else {}

    def named(value: Any) -> Any:
        value = value.item() if isinstance(value, np.generic) else value
        return labels.get(str(value), value) if labels else value

    predicted = [named(p) for p in pipeline.predict(data.X_test)]
    if project.task == "regression":
        return {"predictions": predicted, "prediction_kind": NUMERIC}
    out: dict[str, Any] = {"predictions": predicted, "prediction_kind": CATEGORICAL}
    classes = list(getattr(pipeline, "classes_", ()))
    if project.task == "binary" and len(classes) == 2 and hasattr(pipeline, "predict_proba"):
        out["scores"] = np.asarray(pipeline.predict_proba(data.X_test), dtype=float)[:, 1]
        out["positive_class"] = str(named(classes[1]))
    return out


def build_reference(workspace: Workspace, actor: User | None, version: ModelVersion) -> ReferenceProfile:
    """Build and store the reference of ``version`` (its audit event in the same transaction);
    the stored one when it exists. Raises NotFound when the version's run or artifact is gone."""
    from lifecycle.develop import training

    if actor is not None:
        require(actor, Permission.READ)
    cursor = workspace.db.cursor()
    stored = drift_store.reference_for(cursor, version.id)
    if stored is not None:
        return stored
    name = actor.name if actor is not None else SYSTEM
    data = training.data_for_run(workspace, training.get_run(workspace, version.run_id))
    train_rows = data.X_train.index
    inputs = data.frame.loc[train_rows, [c.name for c in version.input_schema if c.name in data.frame.columns]]
    predicted = _predictions(workspace, version, data, name)
    columns, values = describe(inputs, version.input_schema, predictions=predicted.get("predictions"),
                               prediction_kind=predicted.get("prediction_kind", CATEGORICAL),
                               scores=predicted.get("scores"))
    labels: dict[str, int] = {}
    if data.task != "regression":
        labels = {str(k): int(v) for k, v in _categories(data.frame.loc[train_rows, data.project.target])
                  .value_counts().items()}
    with workspace.db.transaction() as cursor:
        stored = drift_store.reference_for(cursor, version.id)
        if stored is not None:  # another session got there first
            return stored
        profile = drift_store.insert_reference(
            cursor, project_id=version.project_id, model_version_id=version.id, dataset_id=data.dataset.id,
            split_id=data.split.id, rows=len(train_rows), prediction_rows=len(data.X_test), columns=columns,
            labels=labels, positive_class=predicted.get("positive_class"), values=values, created_by=name)
        audit_log.append(cursor, actor=name, action="monitor.reference_built", entity=f"model:{version.id}",
                         details={"reference_id": profile.id, "dataset_id": data.dataset.id, "split_id": data.split.id,
                                  "training_rows": len(train_rows), "test_rows": len(data.X_test),
                                  "columns": len(columns)})
    return profile


def reference_profile(workspace: Workspace, version_id: int) -> ReferenceProfile:
    """The stored reference of a version. Raises NotFound when none was built yet."""
    profile = drift_store.reference_for(workspace.db.cursor(), version_id)
    if profile is None:
        raise NotFound(f"Model version #{version_id} has no drift reference yet.",
                       "Refresh the drift of its project (`python -m lifecycle monitor refresh`), which builds it.")
    return profile


def load_columns(workspace: Workspace, profile: ReferenceProfile) -> list[MonitoredColumn]:
    """The stored profile's columns, ready to compare."""
    values = drift_store.reference_values(workspace.db.cursor(), profile.id)
    return monitored_columns(profile.columns, values, profile.positive_class)
