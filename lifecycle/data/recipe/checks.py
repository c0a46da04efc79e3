"""A recipe against the data: column kinds, row filters and validation.

Everything here reads a DataFrame or a schema and answers; nothing is fitted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.errors import InputError
from lifecycle.data.recipe.spec import NULL_OPS, SET_OPS, Recipe, RowFilter
from lifecycle.data.recipe.transformers import DATE_OPS
from lifecycle.problem.target import check_target_column

DATA_KINDS = ("numeric", "bool", "text", "datetime", "nested", "binary")
UNFED_KINDS = ("nested", "binary")  # never fed to a model as they are
NESTED_PREFIXES = ("list<", "large_list<", "fixed_size_list<", "list_view<", "large_list_view<",
                   "struct<", "map<", "dense_union<", "sparse_union<")
_NUMERIC_INFERRED = ("integer", "floating", "mixed-integer-float", "decimal")
_NESTED_VALUES = (list, tuple, dict, set, np.ndarray)
_SNIFF = 100  # object columns: the first filled values decide nested or binary


def describe_kind(kind: str, dtype: str | None = None, example: object = None) -> str:
    """What a nested or binary column holds, in words, from its type name when known
    ("lists (list<item: int64>)") or else from one of its values ("records")."""
    dtype = dtype or ""
    if kind == "binary":
        what = "raw bytes"
    elif dtype.startswith("struct<") or isinstance(example, dict):
        what = "records"
    elif dtype.startswith("map<"):
        what = "key-value maps"
    elif "list" in dtype or isinstance(example, (list, tuple, np.ndarray)):
        what = "lists"
    else:
        what = "nested values (lists, records or maps)"
    return f"{what} ({dtype})" if dtype else what


def column_kind(series: pd.Series) -> str:
    """What a column holds: "numeric", "bool", "text", "datetime", "nested" (lists, records,
    maps) or "binary" (object columns by their values)."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if series.dtype == object:
        sample = series.dropna().head(_SNIFF).tolist()
        if sample and any(isinstance(v, _NESTED_VALUES) for v in sample):
            return "nested"
        if sample and all(isinstance(v, (bytes, bytearray)) for v in sample):
            return "binary"
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in _NUMERIC_INFERRED:
            return "numeric"
        if inferred == "boolean":
            return "bool"
        if inferred in ("datetime", "datetime64", "date"):
            return "datetime"
    return "text"


def dtype_kind(dtype: str) -> str | None:
    """Kind of a pandas or DuckDB type name ("int64", "VARCHAR", "TIMESTAMP"); None if unknown."""
    name = str(dtype).lower()
    if name.startswith(NESTED_PREFIXES):
        return "nested"
    if name in ("binary", "large_binary", "binary_view", "blob") or name.startswith("fixed_size_binary"):
        return "binary"
    if "interval" in name:
        return None
    if name.startswith("time") and not name.startswith("timestamp"):
        return "text"  # a time of day (time64[us]) arrives as text-like objects
    if "bool" in name:
        return "bool"
    if "date" in name or "time" in name:
        return "datetime"
    if any(t in name for t in ("int", "float", "double", "decimal", "numeric", "real")):
        return "numeric"
    if any(t in name for t in ("char", "str", "text", "object", "category", "uuid", "enum")):
        return "text"
    return None


def schema_kinds(schema: Any) -> dict[str, str | None]:
    """Column -> kind from a DataFrame, a {name: dtype} mapping, objects with ``name`` and
    ``dtype`` (such as ``ColumnSchema``) or plain names (kinds then unknown)."""
    if isinstance(schema, pd.DataFrame):
        return {str(c): column_kind(schema[c]) for c in schema.columns}
    if isinstance(schema, Mapping):
        return {str(k): dtype_kind(v) for k, v in schema.items()}
    kinds: dict[str, str | None] = {}
    for item in schema:
        if isinstance(item, str):
            kinds[item] = None
        else:
            kinds[item.name] = dtype_kind(item.dtype)
    return kinds


def _missing_column(column: str, available: Iterable[str], what: str) -> InputError:
    names = ", ".join(repr(c) for c in available)
    return InputError(f"{what} names column {column!r}, which is not in the data.",
                      f"Available columns: {names}.")


def _coerce_value(flt: RowFilter, value: Any, kind: str | None) -> Any:
    bad = InputError(f"Filter on column {flt.column!r}: value {value!r} does not fit a "
                     f"{kind} column.", f"Give a {kind} value, e.g. for '{flt}'.")
    if kind == "numeric":
        if isinstance(value, bool):
            raise bad
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise bad
        return text == "true"
    if kind == "datetime":
        try:
            return pd.Timestamp(value)
        except (TypeError, ValueError):
            raise bad from None
    return str(value)


def _check_filter(flt: RowFilter, kinds: Mapping[str, str | None]) -> None:
    if flt.column not in kinds:
        raise _missing_column(flt.column, kinds, f"Filter '{flt}'")
    kind = kinds[flt.column]
    if flt.op in NULL_OPS or kind is None:
        return
    if kind in UNFED_KINDS:
        raise InputError(f"Filter on column {flt.column!r}: the column holds {describe_kind(kind)}, which "
                         f"'{flt.op}' cannot compare.", "Use is_null or not_null on it, or filter another column.")
    if flt.op in (">", ">=", "<", "<=") and kind in ("text", "bool"):
        raise InputError(f"Filter on column {flt.column!r}: '{flt.op}' compares numbers or "
                         f"dates, but the column holds {kind}.",
                         "Use ==, !=, in or not_in for this column.")
    for value in flt.value if flt.op in SET_OPS else (flt.value,):
        _coerce_value(flt, value, kind)


def filter_mask(df: pd.DataFrame, flt: RowFilter) -> pd.Series:
    """Boolean mask of the rows ``flt`` keeps."""
    if flt.column not in df.columns:
        raise _missing_column(flt.column, df.columns, f"Filter '{flt}'")
    col = df[flt.column]
    present = col.notna()
    if flt.op == "is_null":
        return ~present
    if flt.op == "not_null":
        return present
    kind = column_kind(col)
    _check_filter(flt, {flt.column: kind})
    if flt.op in SET_OPS:
        values = [_coerce_value(flt, v, kind) for v in flt.value]
        if kind == "text":
            col = col.astype(object).map(str, na_action="ignore")
        hit = col.isin(values)
        return present & (hit if flt.op == "in" else ~hit)
    value = _coerce_value(flt, flt.value, kind)
    if kind == "datetime" and getattr(col.dt, "tz", None) is not None and value.tz is None:
        value = value.tz_localize(col.dt.tz)
    if kind == "text":
        col = col.astype(object).map(str, na_action="ignore")
    compare = {"==": col.__eq__, "!=": col.__ne__, ">": col.__gt__, ">=": col.__ge__,
               "<": col.__lt__, "<=": col.__le__}[flt.op]
    return present & compare(value).fillna(False).astype(bool)


def apply_filters(df: pd.DataFrame, filters: Recipe | Sequence[RowFilter]) -> pd.DataFrame:
    """Rows of ``df`` kept by every filter (all must hold), original index preserved."""
    filters = filters.filters if isinstance(filters, Recipe) else tuple(filters)
    mask = pd.Series(True, index=df.index)
    for flt in filters:
        mask &= filter_mask(df, flt)
    return df.loc[mask].copy()


def validate_recipe(recipe: Recipe, schema: Any, target: str | None = None) -> None:
    """Raise InputError naming the column when the recipe does not fit the data.

    ``schema`` is anything :func:`schema_kinds` reads; with plain names the type checks are
    skipped. ``target`` is the project's target column, if there is one.
    """
    kinds = schema_kinds(schema)
    for step in recipe.steps:
        if step.column not in kinds:
            raise _missing_column(step.column, kinds, "The recipe step")
    if target is not None:
        check_target_column(target, kinds, "the data")
        step = recipe.step(target)
        if step is not None and step.role != "target":
            raise InputError(f"Column {target!r} is the target but the recipe gives it role "
                             f"{step.role!r}.", f"Set the role of {target!r} to 'target'.")
        other = recipe.target
        if other is not None and other != target:
            raise InputError(f"Column {other!r} has role 'target' but the project's target "
                             f"is {target!r}.", f"Give {other!r} another role.")
    target = target or recipe.target
    for step in recipe.model_steps:
        _check_fed_step(step, kinds.get(step.column))
    if not recipe.model_steps and not recipe.derived:
        raise InputError("The recipe feeds no column to the model.",
                         "Give at least one column the role 'feature'.")
    for derived in recipe.derived:
        _check_derived(recipe, derived, kinds, target)
    for flt in recipe.filters:
        _check_filter(flt, kinds)


def _check_fed_step(step, kind: str | None) -> None:
    owner = f"Column {step.column!r}"
    if kind in UNFED_KINDS:
        raise InputError(f"{owner} holds {describe_kind(kind)}, which the model cannot take directly.",
                         "Give it role 'ignore'" + (", and add a derived 'length' column to use its size."
                                                    if kind == "nested" else "."))
    if kind == "datetime":
        raise InputError(f"{owner} holds dates, which the model cannot take directly.",
                         "Give it role 'ignore' and add a derived year, month or dayofweek "
                         "column.")
    if kind == "text" and step.kind == "numeric" and step.number_format is None:
        raise InputError(f"{owner} holds text, but the recipe treats it as numeric "
                         f"(scaling {step.scaling!r}).",
                         "Set kind 'categorical' with an encoding, give it a number format (such as "
                         "'1,234.56') if it holds numbers written as text, or give it role 'ignore'.")
    if step.kind == "categorical" and step.encoding == "none":
        raise InputError(f"{owner} is categorical but has no encoding.",
                         "Choose 'onehot' or 'ordinal'.")
    if step.encoding == "onehot" and "=" in step.column:
        raise InputError(f"{owner} contains '=', which one-hot output names use to separate "
                         "column and category.", "Rename the column or use 'ordinal' encoding.")


def _check_derived(recipe: Recipe, derived, kinds: Mapping[str, str | None],
                   target: str | None) -> None:
    owner = f"Derived column {derived.name!r}"
    if derived.name in kinds:
        raise InputError(f"{owner} has the name of an existing column.",
                         f"Rename it, e.g. to '{derived.name}_{derived.op}'.")
    for column in derived.inputs:
        if column not in kinds:
            raise _missing_column(column, kinds, owner)
        if column == target:
            raise InputError(f"{owner} uses the target column {column!r} as input, which "
                             "would leak the answer into the features.",
                             "Pick input columns other than the target.")
        step = recipe.step(column)
        if step and step.role == "sensitive" and not recipe.sensitive_as_feature:
            raise InputError(f"{owner} uses sensitive column {column!r}, which is kept out "
                             "of the model.", "Pick another input, or allow sensitive "
                             "columns as features.")
        kind = kinds[column]
        if derived.op == "length":
            if kind not in ("nested", "text", None):
                raise InputError(f"{owner}: 'length' counts the items of a list, map or text, but "
                                 f"{column!r} holds {kind}.", "Pick a list, map or text column.")
            continue
        if kind in UNFED_KINDS:
            raise InputError(f"{owner}: '{derived.op}' cannot read {column!r}, which holds "
                             f"{describe_kind(kind)}.", "Use the 'length' operation on it, or pick another column.")
        if derived.op in DATE_OPS and kind in ("numeric", "bool"):
            raise InputError(f"{owner}: '{derived.op}' needs a date column, but {column!r} "
                             f"holds {kind}.", "Pick a date or datetime column.")
        if derived.op not in DATE_OPS and kind in ("text", "datetime"):
            raise InputError(f"{owner}: '{derived.op}' needs numbers, but {column!r} holds "
                             f"{kind}.", "Pick numeric input columns.")
