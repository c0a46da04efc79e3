"""The compiled row path's transformer steps: each fitted recipe step, imputer, scaler and encoder
as a numpy function over the checked rows' columns (see ``fastpath``, which verifies the whole path).
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler)
from lifecycle.data.recipe.transformers import (AsText, DerivedColumnTransformer, InfToNaN, OutlierClipper, ParseNumbers, category_text_column, category_texts)

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
