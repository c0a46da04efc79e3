"""Preprocessing and feature-engineering recipes: defaults, compilation and preview.

A recipe (see :mod:`lifecycle.data.recipe.spec`) compiles to ONE scikit-learn
``ColumnTransformer`` used by training and serving alike. Its output columns are named

- ``num__<column>`` for a numeric column,
- ``cat__<column>=<category>`` for each one-hot column of a categorical column,
- ``ord__<column>`` for an ordinal-encoded column,
- ``derived__<name>`` for a derived column,

so :func:`source_column` maps every output back to the column a user knows (for summing
SHAP values onto source columns). Row filters are applied with pandas when a dataset version
is frozen, not inside the transformer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler,
                                   StandardScaler)

from lifecycle.errors import InputError
from lifecycle.data.recipe.checks import (UNFED_KINDS, apply_filters, column_kind, describe_kind,
                                          dtype_kind, filter_mask, schema_kinds, validate_recipe)
from lifecycle.data.recipe.spec import (CLIPS, ENCODINGS, FILTER_OPS, IMPUTATIONS, KINDS, ROLES,
                                   SCALINGS, ColumnStep, DerivedColumn, Recipe, RowFilter)
from lifecycle.data.numbers import NumberFormat, detect_format
from lifecycle.data.recipe.transformers import (DERIVED_OPS, AsText, DerivedColumnTransformer, InfToNaN,
                                    OutlierClipper, ParseNumbers, category_feature_name)

__all__ = [
    "CLIPS", "DERIVED_OPS", "ENCODINGS", "FILTER_OPS", "IMPUTATIONS", "KINDS", "ROLES",
    "SCALINGS", "ColumnStep", "DerivedColumn", "Preview", "Recipe", "RowFilter",
    "apply_filters", "column_kind", "compile_recipe", "default_recipe", "dtype_kind",
    "filter_mask", "preview", "recipe_warnings", "schema_kinds", "source_column",
    "source_columns", "validate_recipe",
]

PREFIXES = ("num", "cat", "ord", "derived")
ID_RATIO = 0.95          # share of distinct values above which a column looks like an id
ID_MIN_ROWS = 20         # below this many rows every column looks unique; no id guessing
HIGH_CARDINALITY = 50    # more distinct text values than this (and > 5% of rows): ignore
MANY_CATEGORIES = 20     # one-hot keeps at most this many categories by default
DETECT_VALUES = 1000     # distinct values of a text column checked for numbers written for people
_ID_NAME = re.compile(r"(?:^|[^A-Za-z])(?:id|ID|Id|key|uuid|guid)$|[a-z](?:Id|ID)$")


# ----------------------------------------------------------------------------- defaults

def default_recipe(df: pd.DataFrame, *, target: str, sensitive: tuple[str, ...] = ()) -> Recipe:
    """A sensible first recipe for ``df``; every skipped column says why in ``note``.

    Numbers: median imputation and standard scaling. Bools and text with few values:
    most-frequent imputation and one-hot (at most 20 categories kept). Text or integers
    with >= 95% distinct values: role "id" (integers only when the name looks like an id or
    the values are consecutive, so measurements such as census weights stay features).
    Text with more than 50 distinct values covering > 5% of rows, constant columns and dates:
    role "ignore".
    """
    for column in (target, *sensitive):
        if column not in df.columns:
            raise InputError(f"Column {column!r} is not in the data.",
                             f"Available columns: {', '.join(map(repr, df.columns))}.")
    if target in sensitive:
        raise InputError(f"Column {target!r} is both the target and sensitive.",
                         "Pick sensitive columns other than the target.")
    steps = []
    for column in df.columns:
        role = "target" if column == target else "sensitive" if column in sensitive else "feature"
        steps.append(_default_step(str(column), df[column], role))
    return Recipe(steps=tuple(steps))


def _default_step(column: str, series: pd.Series, role: str) -> ColumnStep:
    kind = column_kind(series)
    if kind in UNFED_KINDS and role != "target":
        example = next(iter(series.dropna()), None)
        offer = (" To use it, add a derived column with the 'length' operation (items per row)."
                 if kind == "nested" and not isinstance(example, dict) else "")
        return ColumnStep(column=column, role="ignore", kind="categorical",
                          note=f"Holds {describe_kind(kind, example=example)}; not fed to the model.{offer}")
    rows, present = len(series), int(series.notna().sum())
    distinct = int(series.nunique(dropna=True))
    if kind == "text" and role in ("feature", "sensitive"):
        found = detect_format(series.dropna().drop_duplicates().head(DETECT_VALUES).astype(str).tolist())
        if found is not None:
            return _numbers_step(column, role, found)
    is_numeric = kind == "numeric"
    step_kind = "numeric" if is_numeric else "categorical"
    if role == "target":
        return ColumnStep(column=column, role=role, kind=step_kind)

    def skip(new_role: str, note: str) -> ColumnStep:
        return ColumnStep(column=column, role=new_role, kind=step_kind, note=note)

    if role == "feature":
        if kind == "datetime":
            return skip("ignore", "Dates are not fed directly; add a derived year, month or "
                                  "dayofweek column.")
        if distinct <= 1:
            return skip("ignore", "Empty column." if present == 0 else "Constant: one value.")
        unique_share = distinct / max(present, 1)
        if rows >= ID_MIN_ROWS and unique_share >= ID_RATIO and (
                kind == "text" or (is_numeric and _looks_like_id_numbers(column, series))):
            return skip("id", f"{unique_share:.0%} distinct values; looks like an identifier.")
        if kind == "text" and distinct > HIGH_CARDINALITY and distinct > 0.05 * rows:
            return skip("ignore", f"High cardinality: {distinct} distinct values. Derive a "
                                  "coarser column to use it.")
    if is_numeric:
        return ColumnStep(column=column, role=role, kind="numeric", imputation="median",
                          scaling="standard")
    many = distinct > MANY_CATEGORIES
    return ColumnStep(column=column, role=role, kind="categorical", imputation="most_frequent",
                      encoding="onehot", max_categories=MANY_CATEGORIES if many else None,
                      note=f"{distinct} categories; rare ones grouped." if many else "")


def _numbers_step(column: str, role: str, found) -> ColumnStep:
    """A text column of numbers written for people: read as numbers, said in the note."""
    unread = found.checked - found.parsed
    note = (f"Numbers stored as text, {found.describe}: converted to numbers. To refuse, clear the "
            "number format and set kind 'categorical' (or role 'ignore').")
    if unread:
        note += f" {unread} of the first {found.checked} distinct values are not numbers and become missing."
    if found.ambiguous:
        note += (" Other conventions read these values differently; if yours differs, name it when you "
                 "ingest (decimal mark and thousands separator).")
    return ColumnStep(column=column, role=role, kind="numeric", number_format=found.format.label,
                      imputation="median", scaling="standard", note=note)


def _looks_like_id_numbers(column: str, series: pd.Series) -> bool:
    values = pd.to_numeric(series.dropna(), errors="coerce").dropna()
    if values.empty or not np.all(np.mod(values, 1) == 0):
        return False
    consecutive = values.max() - values.min() + 1 == values.nunique()
    return bool(_ID_NAME.search(column)) or bool(consecutive)


# ----------------------------------------------------------------------------- compile

def compile_recipe(recipe: Recipe, schema: Any = None) -> ColumnTransformer:
    """The unfitted ``ColumnTransformer`` for ``recipe`` (pandas output, remainder dropped).

    ``schema`` is a DataFrame, a {name: dtype} mapping, ``ColumnSchema`` records or names;
    when given, the recipe is validated against it first. Fed columns with identical
    preparation settings share one pipeline (numeric: inf->NaN, clip, impute, scale;
    categorical: to text, impute, encode); each derived column has its own. The top-level
    branches are "num", "cat", "ord" and "derived", in that order; a branch is the one
    pipeline of its kind, or a ``ColumnTransformer`` over several. Groups keep the order of
    their first column in the recipe, and columns their recipe order within a group.

    Only the outer transformer returns pandas; inner steps pass numpy arrays, which is much
    cheaper. Calling ``set_output`` on the result again re-applies it to every inner step
    (still correct, only slower).
    """
    if schema is None:
        schema = list(dict.fromkeys([s.column for s in recipe.steps]
                                    + [c for d in recipe.derived for c in d.inputs]))
    validate_recipe(recipe, schema, recipe.target)
    groups: dict[str, dict[tuple, list[ColumnStep]]] = {p: {} for p in PREFIXES}
    for step in recipe.model_steps:
        prefix = ("num" if step.kind == "numeric"
                  else "cat" if step.encoding == "onehot" else "ord")
        groups[prefix].setdefault(_settings_key(step), []).append(step)
    pipelines: dict[str, list[tuple[Pipeline, list[str]]]] = {
        prefix: [(_group_pipeline(steps), [s.column for s in steps])
                 for steps in by_key.values()] for prefix, by_key in groups.items()}
    pipelines["derived"] = [(_derived_pipeline(d), list(d.inputs)) for d in recipe.derived]
    branches = []
    for prefix, inner in pipelines.items():
        if len(inner) == 1:
            branches.append((prefix, *inner[0]))
        elif inner:
            columns = list(dict.fromkeys(c for _, cols in inner for c in cols))
            branches.append((prefix, ColumnTransformer(
                [(f"g{i}", pipeline, cols) for i, (pipeline, cols) in enumerate(inner)],
                remainder="drop", verbose_feature_names_out=False), columns))
    outer = ColumnTransformer(branches, remainder="drop", verbose_feature_names_out=True)
    outer.set_output(transform="pandas")
    for _, branch, _ in branches:  # set_output reached every inner step; undo that
        branch.set_output(transform="default")
    return outer


def _settings_key(step: ColumnStep) -> tuple:
    """What decides a fed column's pipeline; columns with equal keys share one pipeline.

    Settings a step does not use are left out (clip_k without IQR clipping, a fill value
    without constant imputation), and numbers keep their type where it changes meaning
    (``min_frequency`` 1 is a count, 1.0 a share).
    """
    fill = step.fill_value if step.imputation == "constant" else None
    if step.kind == "numeric":
        clip = (step.clip, float(step.clip_k) if step.clip == "iqr" else None,
                tuple(map(float, step.clip_quantiles)) if step.clip == "quantile" else None)
        return ("numeric", clip, step.imputation,
                None if fill is None else float(fill), step.scaling, step.number_format)
    return ("categorical", step.encoding, step.imputation,
            None if fill is None else str(fill), step.max_categories,
            None if step.min_frequency is None else (type(step.min_frequency).__name__,
                                                     step.min_frequency))


def _imputer(strategy: str, fill_value: Any) -> SimpleImputer | None:
    if strategy == "none":
        return None
    return SimpleImputer(strategy=strategy, fill_value=fill_value, keep_empty_features=True)


def _scaler(scaling: str):
    return {"standard": StandardScaler, "minmax": MinMaxScaler,
            "robust": RobustScaler}.get(scaling, lambda: None)()


def _pipeline(steps: list[tuple[str, Any]]) -> Pipeline:
    return Pipeline([(name, est) for name, est in steps if est is not None])


def _group_pipeline(steps: list[ColumnStep]) -> Pipeline:
    """The pipeline for columns that share one settings key (built from the first step)."""
    step = steps[0]
    if step.kind == "numeric":
        clipper = None if step.clip == "none" else OutlierClipper(
            method=step.clip, k=step.clip_k, lower_quantile=step.clip_quantiles[0],
            upper_quantile=step.clip_quantiles[1])
        fill = None if step.fill_value is None else float(step.fill_value)
        parse = None
        if step.number_format is not None:
            fmt = NumberFormat.from_label(step.number_format)
            parse = ParseNumbers(decimal=fmt.decimal, thousands=fmt.thousands)
        return _pipeline([("parse", parse), ("to_float", InfToNaN()), ("clip", clipper),
                          ("impute", _imputer(step.imputation, fill)),
                          ("scale", _scaler(step.scaling))])
    fill = "missing" if step.fill_value is None else str(step.fill_value)
    limits = dict(max_categories=step.max_categories, min_frequency=step.min_frequency)
    if step.encoding == "onehot":
        encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False,
                                feature_name_combiner=category_feature_name, **limits)
    else:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                 **limits)
    return _pipeline([("to_text", AsText()), ("impute", _imputer(step.imputation, fill)),
                      ("encode", encoder)])


def _derived_pipeline(derived: DerivedColumn) -> Pipeline:
    fill = None if derived.fill_value is None else float(derived.fill_value)
    edges = None if derived.edges is None else list(derived.edges)
    return _pipeline([("derive", DerivedColumnTransformer(op=derived.op, name=derived.name,
                                                          edges=edges)),
                      ("impute", _imputer(derived.imputation, fill)),
                      ("scale", _scaler(derived.scaling))])


def source_column(output_name: str) -> str:
    """The source column (or derived column name) behind a compiled output feature name:
    ``num__age`` -> ``age``, ``cat__sex=Female`` -> ``sex``, ``derived__ratio`` -> ``ratio``."""
    prefix, sep, rest = str(output_name).partition("__")
    if not sep or prefix not in PREFIXES or not rest:
        raise InputError(f"Feature name {output_name!r} did not come from a compiled recipe.",
                         "Expected a name like 'num__age', 'cat__sex=Female' or "
                         "'derived__ratio'.")
    return rest.partition("=")[0] if prefix == "cat" else rest


def source_columns(output_names) -> list[str]:
    """``source_column`` of each output feature name, in order (a list as long as ``output_names``)."""
    return [source_column(n) for n in output_names]


# ----------------------------------------------------------------------------- inspect

def recipe_warnings(recipe: Recipe, df: pd.DataFrame) -> list[str]:
    """Plain-language warnings that do not stop compilation (empty cells, no imputation,
    columns the recipe does not mention, very many categories)."""
    warnings = []
    rows = max(len(df), 1)
    for step in recipe.model_steps:
        if step.column not in df.columns:
            continue
        col = df[step.column]
        missing = col.isna()
        if step.kind == "numeric" and column_kind(col) == "numeric":
            missing = missing | np.isinf(pd.to_numeric(col, errors="coerce").astype(float))
        share = missing.sum() / rows
        if share > 0 and step.imputation == "none":
            warnings.append(f"Column {step.column!r} is {_percent(share)} empty and has no "
                            "imputation; choose one in the recipe or the model must accept "
                            "missing values.")
        distinct = col.nunique(dropna=True)
        if step.encoding == "onehot" and step.max_categories is None and distinct > \
                HIGH_CARDINALITY:
            warnings.append(f"Column {step.column!r} has {distinct} categories and one-hot "
                            "keeps them all; set max_categories or min_frequency.")
    for derived in recipe.derived:
        if derived.imputation != "none" or not set(derived.inputs) <= set(df.columns):
            continue
        values = DerivedColumnTransformer(op=derived.op, name=derived.name, edges=derived.edges
                                          ).fit_transform(df[list(derived.inputs)])
        share = float(np.isnan(values).mean()) if len(values) else 0.0
        if share > 0:
            warnings.append(f"Derived column {derived.name!r} is {_percent(share)} empty "
                            f"(missing inputs, division by zero or out-of-range values) and "
                            "has no imputation; choose one or the model must accept missing "
                            "values.")
    unmentioned = [c for c in df.columns if recipe.step(str(c)) is None]
    if unmentioned:
        warnings.append(f"Columns {unmentioned} have no step in the recipe and are not fed to "
                        "the model; add steps for them if they matter.")
    return warnings


def _percent(share: float) -> str:
    return "<1%" if share < 0.005 else f"{share:.0%}"


@dataclass(frozen=True, kw_only=True, eq=False)
class Preview:
    """Rows before and after the recipe: ``after`` is fitted on all filtered rows and shows
    the first ``n`` of them, aligned with ``before`` by index."""

    before: pd.DataFrame
    after: pd.DataFrame
    rows_before_filters: int
    rows_after_filters: int
    dropped_columns: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def preview(recipe: Recipe, df: pd.DataFrame, n: int = 200) -> Preview:
    """Filter ``df``, fit the compiled recipe on the kept rows and show the first ``n``."""
    transformer = compile_recipe(recipe, df)
    kept = apply_filters(df, recipe.filters)
    if kept.empty:
        filters = "; ".join(str(f) for f in recipe.filters)
        raise InputError(f"The recipe's filters ({filters}) keep none of the {len(df)} rows.",
                         "Loosen or remove a filter.")
    transformer.fit(kept)
    before = kept.head(n)
    used = set(recipe.input_columns)
    return Preview(before=before, after=transformer.transform(before),
                   rows_before_filters=len(df), rows_after_filters=len(kept),
                   dropped_columns=tuple(str(c) for c in df.columns if c not in used),
                   warnings=tuple(recipe_warnings(recipe, kept)))
