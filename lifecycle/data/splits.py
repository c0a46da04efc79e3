"""Reproducible train / validation / test splits.

A :class:`SplitSpec` plus the data always gives the same assignment, so a split is stored as
its spec, its counts and :func:`assignment_hash` of the labels, and can be recomputed.
Sizes are shares of rows (of groups for the "group" method); part sizes are rounded up, so
test and validation each get at least one row (or group) when asked for.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from lifecycle.errors import InputError, shown
from lifecycle.hashing import sha256_text
from lifecycle.problem.target import check_target_column

METHODS = ("random", "stratified", "group", "time")
CONTINUOUS_MIN_DISTINCT = 20  # a numeric target with more values than this, not all whole, is continuous
PARTS = ("train", "validation", "test")
MAX_HELD_OUT = 0.9


def default_method(task: str | None) -> str:
    """The split that fits the task: stratified on the classes for classification, random for
    regression (a continuous target has no classes to keep in proportion)."""
    return "random" if task == "regression" else "stratified"


@dataclass(frozen=True, kw_only=True)
class SplitSpec:
    """How to split: "random", "stratified" (on the target), "group" (rows sharing a value of
    ``column`` stay together) or "time" (latest rows by ``column`` are the test set)."""

    method: str
    seed: int = 0
    test_size: float = 0.2
    validation_size: float = 0.0
    column: str | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise InputError(f"Unknown split method {self.method!r}.",
                             f"Choose one of: {', '.join(METHODS)}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"Split seed {self.seed!r} is not a whole number >= 0.",
                             "Use a seed such as 42.")
        for name, value, allowed_zero in (("test_size", self.test_size, False),
                                          ("validation_size", self.validation_size, True)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
                0 < value < 1 or (allowed_zero and value == 0))
            if not ok:
                raise InputError(f"{name} {value!r} is not a share between 0 and 1.",
                                 "Use a share such as 0.2" + (", or 0 for no validation set."
                                                              if allowed_zero else "."))
        if self.test_size + self.validation_size >= MAX_HELD_OUT:
            raise InputError(f"Test ({self.test_size:g}) and validation "
                             f"({self.validation_size:g}) together leave too little to "
                             "train on.", f"Keep their sum below {MAX_HELD_OUT:g}.")
        if self.method in ("group", "time") and not self.column:
            raise InputError(f"A {self.method} split needs a column.",
                             "Choose the group column." if self.method == "group"
                             else "Choose the date or time column.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitSpec:
        return cls(**data)


def assign_split(df: pd.DataFrame, spec: SplitSpec, target: str | None = None) -> pd.Series:
    """"train" / "validation" / "test" for every row, aligned to ``df.index``.

    Deterministic for the same data (in the same row order) and spec. ``target`` is needed
    only for the stratified method.
    """
    n = len(df)
    n_test, n_val = _rows(spec.test_size, n), _rows(spec.validation_size, n)
    if spec.method != "group" and n - n_test - n_val < 1:
        raise InputError(f"{n} rows are too few for test share {spec.test_size:g} and "
                         f"validation share {spec.validation_size:g}.",
                         "Use more rows or smaller shares.")
    if spec.column is not None and spec.column not in df.columns:
        raise InputError(f"Split column {spec.column!r} is not in the data.",
                         f"Available columns: {', '.join(map(repr, df.columns))}.")
    labels = np.full(n, "train", dtype=object)
    if spec.method == "random":
        rest, test = train_test_split(np.arange(n), test_size=n_test, random_state=spec.seed)
        labels[test] = "test"
        if n_val:
            _, val = train_test_split(rest, test_size=n_val, random_state=spec.seed)
            labels[val] = "validation"
    elif spec.method == "stratified":
        _stratified(df, spec, target, labels, n_test, n_val)
    elif spec.method == "group":
        _grouped(df, spec, labels)
    else:
        _by_time(df, spec, labels, n_test, n_val)
    return pd.Series(labels, index=df.index, name="split", dtype=object)


def _rows(share: float, n: int) -> int:
    return math.ceil(round(share * n, 9))  # round first: 0.1 * 30 is 3.0000000000000004


def _stratified(df, spec, target, labels, n_test, n_val) -> None:
    if target is None:
        raise InputError("A stratified split needs the target column, got None.",
                         f"Available columns: {', '.join(map(repr, df.columns))}.")
    check_target_column(target, df.columns, "the data")
    y = df[target]
    missing = int(y.isna().sum())
    if missing:
        raise InputError(f"Target column {target!r} has {missing} empty values; a stratified "
                         "split needs a class for every row.",
                         f"Add the row filter '{target} not_null' to the recipe.")
    counts = y.value_counts()
    _refuse_continuous(y, target, n_distinct=len(counts))
    smallest = 3 if n_val else 2
    if counts.min() < smallest:
        cls, count = counts.idxmin(), int(counts.min())
        raise InputError(f"Class {shown(cls)} of target {target!r} has only {count} row(s); a "
                         f"stratified split needs at least {smallest} per class.",
                         "Use the 'random' method, or merge rare classes.")
    for size, part in ((n_test, "test"), (n_val, "validation")):
        if size and size < len(counts):
            raise InputError(f"The {part} set would have {size} rows, too few to hold all "
                             f"{len(counts)} classes of {target!r}.",
                             f"Raise the {part} share, or use the 'random' method.")
    positions = np.arange(len(df))
    codes = pd.factorize(y)[0]
    try:
        rest, test = train_test_split(positions, test_size=n_test, random_state=spec.seed,
                                      stratify=codes)
        labels[test] = "test"
        if n_val:
            _, val = train_test_split(rest, test_size=n_val, random_state=spec.seed,
                                      stratify=codes[rest])
            labels[val] = "validation"
    except ValueError as exc:
        raise InputError(f"Target {target!r} cannot be stratified with these shares: {exc}",
                         "Use the 'random' method, smaller shares or merge rare classes."
                         ) from None


def _refuse_continuous(y: pd.Series, target: str, *, n_distinct: int) -> None:
    """A stratified split keeps each class's share; a measurement has no classes to keep."""
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return
    values = y.to_numpy(dtype=float)
    whole = bool(np.all(np.mod(values, 1) == 0))
    if n_distinct > CONTINUOUS_MIN_DISTINCT and (not whole or n_distinct > len(y) // 2):
        raise InputError(
            f"Target {target!r} is a continuous number ({n_distinct:,} different values in {len(y):,} "
            f"rows, from {shown(y.min())} to {shown(y.max())}), so a stratified split has no classes "
            "to keep in proportion.",
            "Use the 'random' method, the default for regression; or bin the target into classes "
            "in a derived column first.")


def _grouped(df, spec, labels) -> None:
    groups = df[spec.column]
    missing = int(groups.isna().sum())
    if missing:
        raise InputError(f"Group column {spec.column!r} has {missing} empty values; every "
                         "row needs a group.",
                         f"Add the row filter '{spec.column} not_null' to the recipe.")
    try:
        codes = pd.factorize(groups, sort=True)[0]
    except TypeError:  # mixed types cannot be sorted; their text can
        codes = pd.factorize(groups.astype(str), sort=True)[0]
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups < 3:
        raise InputError(f"Group column {spec.column!r} has {n_groups} distinct value(s); "
                         "a group split needs at least 3.",
                         "Pick a column with more groups, or use the 'random' method.")
    positions = np.arange(len(df))
    try:
        splitter = GroupShuffleSplit(n_splits=1, test_size=spec.test_size,
                                     random_state=spec.seed)
        rest, test = next(splitter.split(positions, groups=codes))
        labels[test] = "test"
        if spec.validation_size:
            share = spec.validation_size / (1 - spec.test_size)
            splitter = GroupShuffleSplit(n_splits=1, test_size=share, random_state=spec.seed)
            keep, val = next(splitter.split(rest, groups=codes[rest]))
            labels[rest[val]] = "validation"
            if len(keep) == 0:
                raise ValueError("no group left to train on")
    except ValueError as exc:
        raise InputError(f"Group column {spec.column!r} has {n_groups} groups, too few for "
                         f"these shares ({exc}).",
                         "Use smaller shares or a column with more groups.") from None


def _by_time(df, spec, labels, n_test, n_val) -> None:
    col = df[spec.column]
    if pd.api.types.is_bool_dtype(col) or not (pd.api.types.is_numeric_dtype(col)
                                               or pd.api.types.is_datetime64_any_dtype(col)):
        raise InputError(f"Time column {spec.column!r} holds {col.dtype} values; a time split "
                         "needs dates or numbers.",
                         "Pick a date or numeric column, or convert the column to dates.")
    missing = int(col.isna().sum())
    if missing:
        raise InputError(f"Time column {spec.column!r} has {missing} empty values; every row "
                         "needs a time.",
                         f"Add the row filter '{spec.column} not_null' to the recipe.")
    # Stable sort: rows with the same time keep their row order, so ties are deterministic.
    order = col.reset_index(drop=True).sort_values(kind="stable").index.to_numpy()
    n = len(order)
    labels[order[n - n_test:]] = "test"
    if n_val:
        labels[order[n - n_test - n_val:n - n_test]] = "validation"


def assignment_hash(assignment: pd.Series) -> str:
    """sha256 of the labels in row order (one per line); equal hashes mean equal splits."""
    return sha256_text("\n".join(map(str, assignment.tolist())))


def split_counts(assignment: pd.Series) -> dict[str, int]:
    """Rows per part, always with all three parts in order (0 when a part is empty)."""
    counts = assignment.value_counts()
    return {part: int(counts.get(part, 0)) for part in PARTS}
