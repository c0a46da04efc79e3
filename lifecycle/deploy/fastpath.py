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

import copy
import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler,
                                   StandardScaler)

from lifecycle.data.recipe.transformers import (AsText, DerivedColumnTransformer, InfToNaN,
                                                OutlierClipper, ParseNumbers, category_text, category_text_column,
                                                category_texts)

LOGGER = logging.getLogger("lifecycle.deploy.service")
TOLERANCE = 1e-9
FLOAT, OBJECT = "f", "O"


class Unknown(Exception):
    """A step (or a setting of one) the compiler does not know: the version keeps its pipeline."""


class Refuse(Exception):
    """At run time: the pipeline itself must answer this batch (it raises or answers as before)."""


# --- data flowing between compiled steps ---------------------------------------------------------
#
# A step's input is either "columns" (a list of 1-D arrays, float64 or object, with their names when
# they are the service's input columns) or "array" (one 2-D array, float64 or object). At compile
# time only the shape of that data is known: ``Shape(columns, kinds, names)``.


@dataclass(frozen=True)
class Shape:
    columns: bool  # a list of 1-D arrays (True) or one 2-D array (False)
    kinds: tuple[str, ...]  # FLOAT or OBJECT per column
    names: tuple[str, ...] | None = None

    @property
    def width(self) -> int:
        return len(self.kinds)


Step = Callable[[Any], Any]


def _float_array(shape: Shape, what: str) -> Step:
    """A function turning this input into one float 2-D array, or Unknown."""
    if any(kind != FLOAT for kind in shape.kinds):
        raise Unknown(f"{what} takes text columns")
    if shape.columns:
        return lambda cols: np.column_stack(cols) if cols else np.empty((0, 0))
    return lambda X: X


def _as_columns(shape: Shape) -> Step:
    if shape.columns:
        return lambda cols: cols
    return lambda X: [X[:, j] for j in range(X.shape[1])]


def _then(first: Step, second: Step) -> Step:
    return lambda data: second(first(data))


def _inf_to_nan(X: np.ndarray) -> np.ndarray:
    return np.where(np.isinf(X), np.nan, X)


# --- transformers --------------------------------------------------------------------------------


def compile_transformer(step: Any, shape: Shape) -> tuple[Step, Shape]:
    """``(function, output shape)`` for one fitted transformer, or Unknown."""
    kind = type(step)
    if isinstance(step, str):
        raise Unknown(f"a {step!r} step")
    if kind is Pipeline:
        return _pipeline(step, shape)
    if kind is ColumnTransformer:
        return _column_transformer(step, shape)
    if kind is InfToNaN:
        to_array = _float_array(shape, "InfToNaN")
        return _then(to_array, _inf_to_nan), Shape(False, (FLOAT,) * shape.width)
    if kind is OutlierClipper:
        to_array = _float_array(shape, "OutlierClipper")
        lower, upper = np.asarray(step.lower_), np.asarray(step.upper_)
        return (_then(to_array, lambda X: np.clip(_inf_to_nan(X), lower, upper)),
                Shape(False, (FLOAT,) * shape.width))
    if kind is ParseNumbers:
        return _parse_numbers(step, shape)
    if kind is AsText:
        return _as_text(shape), Shape(False, (OBJECT,) * shape.width)
    if kind is DerivedColumnTransformer:
        return _derived(step, shape)
    if kind is SimpleImputer:
        return _imputer(step, shape)
    if kind is StandardScaler:
        to_array = _float_array(shape, "StandardScaler")
        mean, scale = step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None

        def standard(X):
            X = np.array(X, dtype=np.float64)
            if mean is not None:
                X -= mean
            if scale is not None:
                X /= scale
            return X
        return _then(to_array, standard), Shape(False, (FLOAT,) * shape.width)
    if kind is MinMaxScaler:
        to_array = _float_array(shape, "MinMaxScaler")
        low, high = step.feature_range

        def minmax(X):
            X = np.array(X, dtype=np.float64)
            X *= step.scale_
            X += step.min_
            if step.clip:
                np.clip(X, low, high, out=X)
            return X
        return _then(to_array, minmax), Shape(False, (FLOAT,) * shape.width)
    if kind is RobustScaler:
        to_array = _float_array(shape, "RobustScaler")

        def robust(X):
            X = np.array(X, dtype=np.float64)
            if step.with_centering:
                X -= step.center_
            if step.with_scaling:
                X /= step.scale_
            return X
        return _then(to_array, robust), Shape(False, (FLOAT,) * shape.width)
    if kind in (OneHotEncoder, OrdinalEncoder):
        return _encoder(step, shape)
    if kind is FunctionTransformer and step.func is None and not step.validate:  # a fitted "passthrough"
        return _float_array(shape, "a passthrough"), Shape(False, (FLOAT,) * shape.width)
    raise Unknown(f"the step {kind.__module__}.{kind.__qualname__}")


def _pipeline(pipeline: Pipeline, shape: Shape) -> tuple[Step, Shape]:
    functions = []
    for _, step in pipeline.steps:
        if step is None or step == "passthrough":
            continue
        function, shape = compile_transformer(step, shape)
        functions.append(function)

    def run(data):
        for function in functions:
            data = function(data)
        return data
    return run, shape


def _column_transformer(ct: ColumnTransformer, shape: Shape) -> tuple[Step, Shape]:
    if not shape.columns or shape.names is None:
        raise Unknown("a ColumnTransformer on unnamed columns")
    if getattr(ct, "sparse_output_", False):
        raise Unknown("a sparse ColumnTransformer")
    position = {name: i for i, name in enumerate(shape.names)}
    parts = []
    for name, transformer, columns in ct.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise Unknown(f"the ColumnTransformer branch {name!r} selects columns by {type(columns).__name__}")
        columns = list(columns)
        if not columns:
            continue  # never fitted nor called by scikit-learn
        missing = [c for c in columns if c not in position]
        if missing:
            raise Unknown(f"the ColumnTransformer branch {name!r} takes {missing}, not in the input schema")
        picks = [position[c] for c in columns]
        inner = Shape(True, tuple(shape.kinds[i] for i in picks), tuple(columns))
        if isinstance(transformer, str) and transformer == "passthrough":
            function, out = _float_array(inner, "a passthrough branch"), Shape(False, inner.kinds)
        else:
            function, out = compile_transformer(transformer, inner)
        if out.columns or any(k != FLOAT for k in out.kinds):
            raise Unknown(f"the ColumnTransformer branch {name!r} gives text")
        parts.append((picks, function, out.width))

    def run(cols):
        blocks = [function([cols[i] for i in picks]) for picks, function, _ in parts]
        return np.hstack(blocks) if blocks else np.empty((len(cols[0]) if cols else 0, 0))
    return run, Shape(False, (FLOAT,) * sum(w for _, _, w in parts))


def _parse_numbers(step: ParseNumbers, shape: Shape) -> tuple[Step, Shape]:
    from lifecycle.data.numbers import NumberFormat, to_numbers

    fmt = NumberFormat(decimal=step.decimal, thousands=step.thousands)
    kinds = shape.kinds
    columns = _as_columns(shape)

    def parse(data):
        out = []
        for kind, col in zip(kinds, columns(data)):
            if kind == FLOAT:
                out.append(np.asarray(col, dtype=np.float64))
            else:
                out.append(to_numbers(pd.Series(col, dtype=object), fmt).to_numpy(dtype=float))
        return np.column_stack(out)
    return parse, Shape(False, (FLOAT,) * shape.width)


def _text_of(kind: str, col: np.ndarray) -> np.ndarray:
    """``AsText`` of one column, as the pipeline computes it on a float64 or object Series."""
    if kind == FLOAT:
        col = np.asarray(col, dtype=np.float64)
        out = category_texts(col)
        out[np.isnan(col)] = np.nan
        return out
    out = np.empty(len(col), dtype=object)
    for i, value in enumerate(col.tolist()):
        if type(value) is str:
            out[i] = value
        elif value is None:
            out[i] = np.nan
        else:  # anything else: the transformer's own per-column code
            return category_text_column(pd.Series(col, dtype=object))
    return out


def _as_text(shape: Shape) -> Step:
    kinds = shape.kinds
    columns = _as_columns(shape)

    def as_text(data):
        cols = columns(data)
        out = np.empty((len(cols[0]) if cols else 0, len(cols)), dtype=object)
        for j, (kind, col) in enumerate(zip(kinds, cols)):
            out[:, j] = _text_of(kind, col)
        return out
    return as_text


def _derived(step: DerivedColumnTransformer, shape: Shape) -> tuple[Step, Shape]:
    out_shape = Shape(False, (FLOAT,))
    if step.op in ("ratio", "difference", "sum", "product", "log1p", "bin"):
        to_array = _float_array(shape, f"the derived operation {step.op!r}")

        def arithmetic(data):
            out = np.array(step._arithmetic(_inf_to_nan(to_array(data))), dtype=float).reshape(-1, 1)
            out[np.isinf(out)] = np.nan
            return out
        return arithmetic, out_shape
    # dates and lengths: the transformer's own code, on a small frame of its named columns
    names = getattr(step, "feature_names_in_", None)
    if names is None or not shape.columns or shape.names is None or tuple(names) != shape.names:
        raise Unknown(f"the derived operation {step.op!r} on unnamed columns")
    frame_names = list(shape.names)
    kinds = shape.kinds

    def delegated(cols):
        frame = pd.DataFrame({name: pd.Series(col, dtype=object if kind == OBJECT else np.float64)
                              for name, kind, col in zip(frame_names, kinds, cols)})
        return step.transform(frame)
    return delegated, out_shape


def _imputer(step: SimpleImputer, shape: Shape) -> tuple[Step, Shape]:
    if step.add_indicator:
        raise Unknown("a SimpleImputer with add_indicator")
    if not step.keep_empty_features and pd.isna(np.asarray(step.statistics_, dtype=object)).any():
        raise Unknown("a SimpleImputer dropping columns empty in training")
    if not (isinstance(step.missing_values, float) and math.isnan(step.missing_values)):
        raise Unknown(f"a SimpleImputer for missing values {step.missing_values!r}")
    if shape.columns and len(set(shape.kinds)) > 1:
        raise Unknown("a SimpleImputer on mixed columns")
    kind = shape.kinds[0] if shape.kinds else FLOAT
    statistics = np.asarray(step.statistics_)
    if kind == FLOAT:
        fill_dtype = np.dtype(getattr(step, "_fill_dtype", statistics.dtype))
        if fill_dtype.kind == "f":  # what transform does: statistics_.astype(_fill_dtype)
            statistics = statistics.astype(fill_dtype)
        if statistics.dtype.kind != "f" or step.strategy not in ("mean", "median", "most_frequent", "constant"):
            raise Unknown(f"a numeric SimpleImputer with {statistics.dtype} statistics")
        to_array = _float_array(shape, "SimpleImputer")

        def impute(data):
            X = to_array(data)
            return np.where(np.isnan(X), statistics, X)
        return impute, Shape(False, (FLOAT,) * shape.width)
    if step.strategy not in ("most_frequent", "constant") or statistics.dtype != object:
        raise Unknown(f"a text SimpleImputer with strategy {step.strategy!r}")
    if shape.columns:
        to_object = lambda cols: np.column_stack(cols).astype(object)  # noqa: E731
    else:
        to_object = lambda X: X  # noqa: E731

    def impute_text(data):
        X = to_object(data)
        mask = X != X  # NaN (what sklearn's object mask finds)
        if not mask.any():
            return X
        return np.where(mask, statistics, X)
    return impute_text, Shape(False, (OBJECT,) * shape.width)


class _NanKey:
    def __repr__(self):
        return "NaN"


NAN_KEY = _NanKey()
RAISES = object()


def _key(value: Any) -> Any:
    return NAN_KEY if isinstance(value, float) and value != value else value


def _encoder(encoder, shape: Shape) -> tuple[Step, Shape]:
    """A fitted OneHotEncoder or OrdinalEncoder as lookup tables found by probing it."""
    if shape.columns or any(k != OBJECT for k in shape.kinds):
        raise Unknown(f"{type(encoder).__name__} on anything but the text array AsText gives")
    if getattr(encoder, "sparse_output", False):
        raise Unknown("a sparse OneHotEncoder")
    categories = encoder.categories_
    if len(categories) != shape.width or any(np.asarray(c).dtype != object for c in categories):
        raise Unknown(f"{type(encoder).__name__} with non-text categories")
    base = [c[0] if len(c) else "" for c in categories]
    onehot = isinstance(encoder, OneHotEncoder)
    if onehot:
        widths = list(encoder._n_features_outs)
        starts = np.cumsum([0] + widths)
    else:
        widths, starts = [1] * len(categories), np.arange(len(categories) + 1)

    def probe(j: int, values: list) -> list:
        if not values:
            return []
        X = np.empty((len(values), len(categories)), dtype=object)
        for i, b in enumerate(base):
            X[:, i] = b
        X[:, j] = np.asarray(values + [None], dtype=object)[:-1]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = np.asarray(encoder.transform(X))
        except ValueError:
            if len(values) == 1:
                return [RAISES]
            return [v for value in values for v in probe(j, [value])]
        block = out[:, starts[j]:starts[j + 1]]
        if onehot:
            found = []
            for row in block:
                hot = np.flatnonzero(row)
                if len(hot) > 1 or (len(hot) == 1 and row[hot[0]] != 1):
                    raise Unknown("a OneHotEncoder row with more than one 1")
                found.append(int(hot[0]) if len(hot) else -1)
            return found
        return [float(v) for v in block[:, 0]]

    tables, unknown, missing = [], [], []
    dtype = np.dtype(getattr(encoder, "dtype", np.float64))
    if dtype != np.float64:
        raise Unknown(f"{type(encoder).__name__} with dtype {dtype}")
    for j, cats in enumerate(categories):
        cats = list(cats)
        answers = probe(j, cats)
        tables.append({_key(c): a for c, a in zip(cats, answers)})
        unknown.append(probe(j, ["\x00lifecycle unseen category\x00"])[0])
        missing.append(tables[-1].get(NAN_KEY, RAISES) if NAN_KEY in tables[-1] else probe(j, [np.nan])[0])
    total = int(starts[-1])

    def encode(X):
        n = X.shape[0]
        out = np.zeros((n, total), dtype=np.float64)
        for j, table in enumerate(tables):
            start, miss, other = int(starts[j]), missing[j], unknown[j]
            for i, value in enumerate(X[:, j].tolist()):
                if value != value:
                    answer = miss
                else:
                    answer = table.get(value, other)
                if answer is RAISES:
                    raise Refuse(f"{type(encoder).__name__} refuses a value")
                if onehot:
                    if answer >= 0:
                        out[i, start + answer] = 1.0
                else:
                    out[i, start] = answer
        return out
    return encode, Shape(False, (FLOAT,) * total)


# --- estimators ----------------------------------------------------------------------------------

Model = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def compile_estimator(estimator: Any, classes: bool) -> tuple[Model, str]:
    """``(function X -> (labels, probabilities or None), how)`` for the final estimator."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    kind = type(estimator)
    if kind in (HistGradientBoostingClassifier, HistGradientBoostingRegressor) and \
            getattr(estimator, "_preprocessor", None) is None:
        threads = _openmp_effective_n_threads()
        baseline = estimator._baseline_prediction
        per_iteration = estimator.n_trees_per_iteration_

        def raw(X):
            out = np.zeros((X.shape[0], per_iteration), dtype=baseline.dtype, order="F")
            out += baseline
            estimator._predict_iterations(X, estimator._predictors, out, False, threads)
            return out
        if kind is HistGradientBoostingRegressor:
            return (lambda X: (estimator._loss.link.inverse(raw(X).ravel()), None)), "hgb predictors"
        labels_of = estimator.classes_

        def hgb(X):
            scores = raw(X)
            encoded = (scores.ravel() > 0).astype(int) if scores.shape[1] == 1 else np.argmax(scores, axis=1)
            return labels_of[encoded], (estimator._loss.predict_proba(scores) if classes else None)
        return hgb, "hgb predictors"
    if kind is LogisticRegression and classes:
        from scipy.special import expit
        from sklearn.utils.extmath import softmax

        coef_t, intercept, labels_of = estimator.coef_.T, estimator.intercept_, estimator.classes_

        def logistic(X):
            scores = X @ coef_t + intercept
            if scores.shape[1] == 1:
                scores = scores.reshape(-1)
                labels = labels_of[(scores > 0).astype(int)]
                prob = expit(scores)
                return labels, np.vstack([1 - prob, prob]).T
            return labels_of[scores.argmax(axis=1)], softmax(scores.copy(), copy=False)
        return logistic, "coef_"
    # any other fitted estimator: its own methods on the float array, without the name check
    bare = copy.copy(estimator)
    if hasattr(bare, "feature_names_in_"):
        del bare.feature_names_in_
    if classes and hasattr(bare, "predict_proba"):
        from lifecycle.deploy.live import _argmax_classifiers

        argmax = type(estimator) in _argmax_classifiers()
        labels_of = np.asarray(estimator.classes_, dtype=object)

        def proba(X):
            probabilities = np.asarray(bare.predict_proba(X), dtype=float)
            if not argmax:
                return bare.predict(X), probabilities
            labels = labels_of.take(probabilities.argmax(axis=1))
            tied = np.flatnonzero((probabilities == probabilities.max(axis=1, keepdims=True)).sum(axis=1) > 1)
            if len(tied):
                labels[tied] = bare.predict(X[tied])
            return labels, probabilities
        return proba, f"{kind.__name__}.predict_proba"
    return (lambda X: (bare.predict(X), None)), f"{kind.__name__}.predict"


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
