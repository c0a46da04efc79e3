"""Custom scikit-learn transformers used by compiled recipes.

Every class follows the estimator contract: ``__init__`` only stores parameters, fitted state
ends in ``_``, ``fit`` returns ``self`` and ``get_feature_names_out`` is implemented, so a
compiled recipe clones, pickles and serialises with skops. All are module-level so a skops
trust list can name them (``lifecycle.data.recipe.transformers.InfToNaN`` and so on, plus the function
``lifecycle.data.recipe.transformers.category_feature_name``).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

DERIVED_OPS = ("ratio", "difference", "sum", "product", "log1p", "bin",
               "year", "month", "dayofweek", "length")
DATE_OPS = ("year", "month", "dayofweek")


def category_feature_name(feature: str, category: object) -> str:
    """Name a one-hot output ``column=category``; :func:`recipe.source_column` splits on '='."""
    return f"{feature}={category}"


def _frame(X) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))


def _as_float(X) -> np.ndarray:
    """Numbers (ints, floats, bools, nullable dtypes, None) as a float array; ±inf -> NaN.

    Vectorised: a numeric numpy array is cast in one go, a DataFrame column by column with
    pandas (object columns may hold None / pd.NA, numeric text is parsed, other text raises).
    """
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        out = np.asarray(X, dtype=float)
        out = out.reshape(len(out), -1) if out.ndim != 2 else out
    else:
        frame = _frame(X)
        if all(dtype != object and (pd.api.types.is_numeric_dtype(dtype)
                                    or pd.api.types.is_bool_dtype(dtype))
               for dtype in frame.dtypes):
            out = frame.to_numpy(dtype=float, na_value=np.nan)
        else:
            columns = []
            for _, col in frame.items():
                if col.dtype == object:
                    col = pd.to_numeric(col.where(col.notna(), np.nan), errors="raise")
                elif not (pd.api.types.is_numeric_dtype(col.dtype)
                          or pd.api.types.is_bool_dtype(col.dtype)):
                    col = pd.to_numeric(col, errors="raise")
                columns.append(col.to_numpy(dtype=float, na_value=np.nan))
            out = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    return np.where(np.isinf(out), np.nan, out)  # a new array: X itself is never changed


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def category_text(value: object) -> object:
    """A cell as the recipe reads a category: missing values stay NaN, a whole float is its integer
    (``1.0`` → ``"1"``), numpy scalars become Python values, anything else its ``str``. Serving and the
    compiled row path (``deploy.fastpath``) use the same rule."""
    if value is None or value is pd.NA or value is pd.NaT:
        return np.nan
    if isinstance(value, float):
        if math.isnan(value):
            return np.nan
        if value.is_integer():  # 1.0 and 1 are the same category at training and serving
            return str(int(value))
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return category_text(value.item())
    return str(value)


# Object columns whose values pandas can factorise without merging values that category_text would
# tell apart (True == 1 == 1.0 hash alike, so "mixed" columns take the per-cell path).
_FACTORIZABLE = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float",
                           "boolean"})
_INT64_LIMIT = 2.0 ** 63


def category_texts(values) -> np.ndarray:
    """``category_text`` of each distinct, non-missing value, vectorised for numeric and bool arrays."""
    if isinstance(values, pd.api.extensions.ExtensionArray) and (
            pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
                values.dtype)):
        values = np.asarray(values.to_numpy())
    elif not isinstance(values, np.ndarray):  # strings, categories, dates: Python objects
        values = np.asarray(values, dtype=object)
    if isinstance(values, np.ndarray) and values.dtype.kind == "b":
        return np.where(values, "True", "False").astype(object)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        floats = values.astype(np.float64)  # float32 0.1 is 0.10000000149011612, as .item()
        whole = (np.floor(floats) == floats) & (np.abs(floats) < _INT64_LIMIT)
        out = floats.astype(str).astype(object)
        out[whole] = floats[whole].astype(np.int64).astype(str)
        huge = np.isfinite(floats) & (np.floor(floats) == floats) & ~whole
        out[huge] = [str(int(v)) for v in floats[huge].tolist()]
        return out
    return np.array([v if type(v) is str else category_text(v) for v in values.tolist()],
                    dtype=object)


def category_text_column(col: pd.Series) -> np.ndarray:
    """One column as ``category_text`` would give cell by cell, computed on its distinct values."""
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) not in _FACTORIZABLE:
        return np.array([category_text(v) for v in col.tolist()], dtype=object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    texts = np.append(category_texts(uniques), np.nan)  # code -1 (missing) takes the NaN
    return texts[codes]


class _Stateless(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        validate_data(self, X, reset=True, skip_check_array=True)
        return self

    def _check(self, X):
        check_is_fitted(self, "n_features_in_")
        validate_data(self, X, reset=False, skip_check_array=True)


class InfToNaN(OneToOneFeatureMixin, _Stateless):
    """Cast numeric columns to float and turn ±inf into NaN (SimpleImputer rejects inf)."""

    def transform(self, X):
        self._check(X)
        return _as_float(X)


class AsText(OneToOneFeatureMixin, _Stateless):
    """Cast categorical columns to plain ``str`` objects, keeping missing values as NaN.

    Encoders need uniformly typed input; bools, integer codes and pandas ``str`` columns all
    arrive here. Whole floats become integers' text, so ``1.0`` and ``1`` are one category.
    Each column is factorised and only its distinct values are converted (numbers with
    numpy); object columns mixing kinds of values (``True`` next to ``1``) go cell by cell.
    """

    def transform(self, X):
        self._check(X)
        frame = _frame(X)
        out = np.empty(frame.shape, dtype=object)
        for j, (_, col) in enumerate(frame.items()):
            out[:, j] = category_text_column(col)
        return out


class ParseNumbers(OneToOneFeatureMixin, _Stateless):
    """Read numbers written for people ("8,412.50", "1.234,56 €", "12.5%") as floats, in the
    convention of ``decimal`` and ``thousands`` (see :mod:`lifecycle.data.numbers`); text that
    is not a number in it becomes NaN, for the imputer. Numbers pass through unchanged."""

    def __init__(self, decimal: str = ".", thousands: str | None = None):
        self.decimal = decimal
        self.thousands = thousands

    def transform(self, X):
        from lifecycle.data.numbers import NumberFormat, to_numbers

        self._check(X)
        fmt = NumberFormat(decimal=self.decimal, thousands=self.thousands)
        frame = _frame(X)
        columns = []
        for _, col in frame.items():
            if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
                columns.append(col.to_numpy(dtype=float, na_value=np.nan))
            else:
                columns.append(to_numbers(col.astype(object), fmt).to_numpy(dtype=float))
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))


class OutlierClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to bounds learned at fit time, ignoring NaN.

    ``method="iqr"``: [Q1 - k·IQR, Q3 + k·IQR]; ``method="quantile"``: the
    ``lower_quantile`` and ``upper_quantile`` of the training values. A column with no
    values at fit time is left unclipped. NaN passes through.
    """

    def __init__(self, method: str = "iqr", k: float = 1.5, lower_quantile: float = 0.01,
                 upper_quantile: float = 0.99):
        self.method = method
        self.k = k
        self.lower_quantile = lower_quantile
        self.upper_quantile = upper_quantile

    def fit(self, X, y=None):
        validate_data(self, X, reset=True, skip_check_array=True)
        if self.method not in ("iqr", "quantile"):
            raise ValueError(f"method must be 'iqr' or 'quantile', got {self.method!r}.")
        values = _as_float(X)
        lower = np.full(values.shape[1], -np.inf)
        upper = np.full(values.shape[1], np.inf)
        for j in range(values.shape[1]):
            column = values[:, j][~np.isnan(values[:, j])]
            if column.size == 0:
                continue
            if self.method == "iqr":
                q1, q3 = np.percentile(column, [25, 75])
                lower[j], upper[j] = q1 - self.k * (q3 - q1), q3 + self.k * (q3 - q1)
            else:
                lower[j], upper[j] = np.quantile(column, [self.lower_quantile,
                                                          self.upper_quantile])
        self.lower_, self.upper_ = lower, upper
        return self

    def transform(self, X):
        check_is_fitted(self, "lower_")
        validate_data(self, X, reset=False, skip_check_array=True)
        return np.clip(_as_float(X), self.lower_, self.upper_)


class DerivedColumnTransformer(TransformerMixin, BaseEstimator):
    """Compute one derived column from its inputs with a closed set of operations (no eval).

    - ``ratio`` a / b; a zero or missing divisor gives NaN.
    - ``difference`` a - b; ``sum`` and ``product`` over two or more inputs.
    - ``log1p`` log(1 + x) for x >= 0; negative x gives NaN (no silent shift).
    - ``bin`` the index of the bin among ``edges`` (``numpy.digitize``): 0 below the first
      edge, ``len(edges)`` at or above the last; missing stays missing.
    - ``year``, ``month``, ``dayofweek`` (Monday=0) of a datetime or date-like text column;
      unparseable text gives NaN.
    - ``length`` the number of items of a list or map (fields of a record, characters of a
      text); missing stays missing.

    The output is one float column named ``name``; ±inf becomes NaN.
    """

    def __init__(self, op: str = "ratio", name: str = "derived", edges=None):
        self.op = op
        self.name = name
        self.edges = edges

    def fit(self, X, y=None):
        validate_data(self, X, reset=True, skip_check_array=True)
        if self.op not in DERIVED_OPS:
            raise ValueError(f"op must be one of {DERIVED_OPS}, got {self.op!r}.")
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        validate_data(self, X, reset=False, skip_check_array=True)
        if self.op == "length":
            out = np.array([np.nan if _missing(v) else float(len(v)) for v in _frame(X).iloc[:, 0].tolist()])
        elif self.op in DATE_OPS:
            col = _frame(X).iloc[:, 0]
            if not pd.api.types.is_datetime64_any_dtype(col):
                col = pd.to_datetime(col.astype(object), errors="coerce", format="mixed")
            attr = {"year": "year", "month": "month", "dayofweek": "day_of_week"}[self.op]
            out = getattr(col.dt, attr).to_numpy(dtype=float, na_value=np.nan)
        else:
            out = self._arithmetic(_as_float(X))
        out = np.array(out, dtype=float).reshape(-1, 1)
        out[np.isinf(out)] = np.nan
        return out

    def _arithmetic(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.op == "ratio":
                return np.where(v[:, 1] == 0, np.nan, v[:, 0] / v[:, 1])
            if self.op == "difference":
                return v[:, 0] - v[:, 1]
            if self.op == "sum":
                return v.sum(axis=1)
            if self.op == "product":
                return v.prod(axis=1)
            if self.op == "log1p":
                return np.where(v[:, 0] < 0, np.nan, np.log1p(np.abs(v[:, 0])))
            edges = np.asarray(self.edges, dtype=float)
            return np.where(np.isnan(v[:, 0]), np.nan, np.digitize(v[:, 0], edges))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "n_features_in_")
        return np.asarray([self.name], dtype=object)
