"""A compiled row path: the fitted pipeline's arithmetic in plain numpy, for small batches.

Each call of a fitted scikit-learn pipeline costs tens of milliseconds on a busy machine whatever
the number of rows (per-call validation, pandas indexing, feature-name checks), which is most of a
single-row request. At load, :func:`compile_pipeline` walks the fitted pipeline; when every step is
one it knows (the recipe's transformers with their fitted parameters, SimpleImputer, the scalers,
One-hot and ordinal encoders, nested ColumnTransformers and Pipelines, and the final estimator), it
builds numpy functions taking the checked rows' columns (no DataFrame) and returning what
``live.predict`` returns. It is then VERIFIED on rows synthesized from the input schema and the
fitted parameters (every category, missing values, values around every learned bound, random
mixes), in one batch and row by row: classes must equal ``pipeline.predict`` exactly and
probabilities (or regression values) ``pipeline.predict_proba`` (``predict``) within 1e-9. Anything
unknown, or any difference, leaves the version on the pipeline, with the reason logged.

Encoders are not re-implemented but probed: at compile time the fitted encoder transforms every
category it knows, one unknown value and a missing value, and the path keeps that table (an answer
the encoder refuses — an unknown category under ``handle_unknown="error"`` — sends that batch to the
pipeline, which raises as before). At run time any exception in the compiled path also sends the
batch to the pipeline, so the fast path can only ever answer what the pipeline answers.

Estimators: histogram gradient boosting through its fitted predictors (``_predict_iterations`` on
a float array, then its loss's link), logistic regression through ``coef_``/``intercept_``, and any
other fitted estimator by its own ``predict_proba``/``predict`` on the transformed numpy array (on a
shallow copy without ``feature_names_in_``, which skips only the feature-name check).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from lifecycle.deploy.fastpath_models import Model, compile_estimator
from lifecycle.deploy.fastpath_steps import (FLOAT, LOGGER, OBJECT, TOLERANCE, Refuse, Shape, Step, Unknown,
                                             _pipeline, compile_transformer)

__all__ = ["FastPath", "Refuse", "Unknown", "compile_and_verify", "compile_pipeline", "compile_transformer",
           "verify"]

# --- the compiled path ---------------------------------------------------------------------------


class FastPath:
    """Scores checked rows (``RowChecker.check``'s dicts) or a checked frame's columns in numpy."""

    def __init__(self, names: Sequence[str], kinds: Sequence[str], transform: Step, model: Model,
                 classes: bool, how: str):
        self.names, self.kinds = tuple(names), tuple(kinds)
        self._transform, self._model, self._classes = transform, model, classes
        self.how = how

    def columns_of_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[np.ndarray]:
        cols = []
        for name, kind in zip(self.names, self.kinds):
            values = [row[name] for row in rows]
            if kind == FLOAT:
                cols.append(np.array(values, dtype=np.float64))
            else:
                col = np.empty(len(values), dtype=object)
                col[:] = values
                cols.append(col)
        return cols

    def columns_of_frame(self, frame: pd.DataFrame) -> list[np.ndarray]:
        return [frame[name].to_numpy(dtype=np.float64 if kind == FLOAT else object)
                for name, kind in zip(self.names, self.kinds)]

    def arrays(self, cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels, probabilities or None) for the columns; raises whatever goes wrong."""
        X = self._transform(cols)
        X = np.ascontiguousarray(X, dtype=np.float64)
        return self._model(X)

    def score(self, cols: list[np.ndarray]) -> list[tuple[Any, list[float] | None]]:
        """What ``live.predict`` gives for these columns."""
        labels, probabilities = self.arrays(cols)
        labels = [v.item() if isinstance(v, np.generic) else v for v in labels]
        if probabilities is None:
            return [(label, None) for label in labels]
        return list(zip(labels, np.asarray(probabilities, dtype=float).tolist()))


def compile_pipeline(pipeline: Any, schema: Sequence[Any], *, classes: bool) -> FastPath:
    """The compiled path of a fitted pipeline for rows of ``schema`` (InputColumns), or Unknown.

    ``classes``: the version answers probabilities (a classifier with ``predict_proba``)."""
    from lifecycle.deploy.schema import NUMERIC_TYPES

    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        raise Unknown("not a Pipeline of transformers and an estimator")
    names = tuple(c.name for c in schema)
    kinds = tuple(FLOAT if (c.kind == "numeric" or c.dtype in NUMERIC_TYPES) else OBJECT for c in schema)
    transform, shape = _pipeline(Pipeline(pipeline.steps[:-1]), Shape(True, kinds, names))
    if shape.columns or any(k != FLOAT for k in shape.kinds):
        raise Unknown("the transformed rows are not a float array")
    final = pipeline.steps[-1][1]
    if classes and not hasattr(final, "predict_proba"):
        classes = False
    model, how = compile_estimator(final, classes)
    return FastPath(names, kinds, transform, model, classes, how)


# --- verification --------------------------------------------------------------------------------


def sample_rows(pipeline: Any, schema: Sequence[Any], *, extra: Sequence[Mapping[str, Any]] = (),
                random_rows: int = 160, seed: int = 0) -> list[dict[str, Any]]:
    """Rows in ``RowChecker.check``'s form covering each column's categories, missing values and
    numbers around the fitted bounds (imputer statistics, scaler means and scales, clip bounds)."""
    from lifecycle.deploy.schema import NUMERIC_TYPES

    numbers = _learned_numbers(pipeline)
    rng = np.random.default_rng(seed)
    candidates: dict[str, list] = {}
    for column in schema:
        numeric = column.kind == "numeric" or column.dtype in NUMERIC_TYPES
        values: list = []
        if column.categories:
            for category in column.categories:
                if numeric:
                    try:
                        values.append(float(category))
                    except ValueError:
                        continue
                else:
                    values.append(category)
        elif numeric:
            values.extend(numbers)
        else:
            values.extend(["a", "b", "unseen value", "0", "1.5", "2024-01-31", ""])
        if numeric and not column.categories:
            values.extend(float(v) for v in rng.normal(0, 50, 8))
        if column.nullable:
            values.append(math.nan if numeric else None)
        candidates[column.name] = values or ([0.0] if numeric else ["a"])
    first = {name: values[0] for name, values in candidates.items()}
    rows = [dict(row) for row in extra]
    for name, values in candidates.items():  # each value of each column, the others at the first
        for value in values:
            rows.append({**first, name: value})
    for _ in range(random_rows):
        rows.append({name: values[rng.integers(len(values))] for name, values in candidates.items()})
    return rows


def _learned_numbers(pipeline: Any) -> list[float]:
    found: set[float] = {0.0, 1.0, -1.0, 0.5, 1e6, -1e6}

    def add(values) -> None:
        try:
            array = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            return
        for v in array[np.isfinite(array)][:200].tolist():
            found.update((v, v - 1e-6 * (abs(v) + 1), v + 1e-6 * (abs(v) + 1), v * 3))

    def walk(step) -> None:
        if isinstance(step, Pipeline):
            for _, inner in step.steps:
                walk(inner)
        elif isinstance(step, ColumnTransformer):
            for _, inner, _ in getattr(step, "transformers_", ()):
                walk(inner)
        else:
            for attribute in ("statistics_", "mean_", "scale_", "lower_", "upper_", "center_", "data_min_",
                              "data_max_"):
                if hasattr(step, attribute) and getattr(step, attribute) is not None:
                    add(getattr(step, attribute))
            if isinstance(getattr(step, "edges", None), (list, tuple)):
                add(step.edges)
    walk(pipeline)
    return sorted(found)


def reference(pipeline: Any, frame: pd.DataFrame, classes: bool) -> tuple[np.ndarray, np.ndarray | None]:
    labels = np.asarray(pipeline.predict(frame))
    probabilities = np.asarray(pipeline.predict_proba(frame), dtype=float) if classes else None
    return labels, probabilities


def verify(fast: FastPath, pipeline: Any, checker, rows: Sequence[Mapping[str, Any]], *,
           classification: bool) -> str | None:
    """None when the fast path equals the pipeline on ``rows`` (in one batch and row by row),
    else the first difference in words."""
    usable = list(rows)
    try:
        reference(pipeline, checker.frame(usable), fast._classes)
    except Exception:  # noqa: BLE001 - rows the pipeline refuses are left out (at run time they go to it)
        usable = []
        for row in rows:
            try:
                reference(pipeline, checker.frame([row]), fast._classes)
            except Exception:  # noqa: BLE001
                continue
            usable.append(row)
    if not usable:
        return "the pipeline scored none of the sample rows"
    singles = [[row] for row in usable[:: max(1, len(usable) // 12)]]
    for batch in [usable, *singles, usable[:8]]:
        want_labels, want_probabilities = reference(pipeline, checker.frame(batch), fast._classes)
        try:
            labels, probabilities = fast.arrays(fast.columns_of_rows(batch))
        except Exception as error:  # noqa: BLE001
            return f"the compiled path failed: {type(error).__name__}: {error}"
        labels = np.asarray(labels)
        if classification:
            if labels.shape != want_labels.shape or not np.array_equal(labels.astype(object),
                                                                       want_labels.astype(object)):
                return "a predicted class differs"
        else:
            got, want = labels.astype(float), want_labels.astype(float)
            if got.shape != want.shape or not np.allclose(got, want, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True):
                return f"a prediction differs by {np.nanmax(np.abs(got - want)):.3g}"
        if want_probabilities is not None:
            if probabilities is None or np.shape(probabilities) != want_probabilities.shape:
                return "the probabilities' shape differs"
            gap = np.abs(np.asarray(probabilities) - want_probabilities)
            if not np.all((gap <= TOLERANCE) | (np.isnan(gap) & np.isnan(want_probabilities)
                                                & np.isnan(probabilities))):
                return f"a probability differs by {np.nanmax(gap):.3g}"
    return None


def compile_and_verify(pipeline: Any, schema: Sequence[Any], checker, *, task: str, classes: bool,
                       label: str = "", extra_rows: Sequence[Mapping[str, Any]] = ()) -> FastPath | None:
    """The verified fast path, or None (the reason logged) when the pipeline must score."""
    try:
        fast = compile_pipeline(pipeline, schema, classes=classes)
    except Unknown as why:
        LOGGER.info("Scoring %s with its pipeline: no compiled path for %s.", label, why)
        return None
    except Exception as error:  # noqa: BLE001 - never let the optimisation stop a load
        LOGGER.warning("Scoring %s with its pipeline: compiling failed (%s: %s).", label, type(error).__name__, error)
        return None
    rows = []
    for row in sample_rows(pipeline, schema, extra=extra_rows):  # rows the schema refuses never reach scoring
        try:
            rows.extend(checker.check([row]))
        except Exception:  # noqa: BLE001
            continue
    problem = verify(fast, pipeline, checker, rows, classification=task != "regression")
    if problem is not None:
        LOGGER.warning("Scoring %s with its pipeline: the compiled path was refused (%s).", label, problem)
        return None
    LOGGER.info("Scoring %s with the compiled path (%s), verified on %d rows.", label, fast.how, len(rows))
    return fast
