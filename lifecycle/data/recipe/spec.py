"""The recipe as data: frozen dataclasses that round-trip through JSON.

A recipe says what each column is for (its role), how a fed column is prepared, which rows
are kept when a dataset version is frozen, and which columns are derived. Checks that need
only the recipe itself run on construction, so ``from_dict`` of a bad spec fails with a
message that names the column; checks against the data live in :mod:`lifecycle.data.recipe.compiler`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from lifecycle.errors import InputError
from lifecycle.data.recipe.transformers import DATE_OPS, DERIVED_OPS

ROLES = ("feature", "ignore", "id", "target", "sensitive")
KINDS = ("numeric", "categorical")
IMPUTATIONS = ("none", "mean", "median", "most_frequent", "constant")
ENCODINGS = ("none", "onehot", "ordinal")
SCALINGS = ("none", "standard", "minmax", "robust")
CLIPS = ("none", "iqr", "quantile")
FILTER_OPS = ("==", "!=", ">", ">=", "<", "<=", "is_null", "not_null", "in", "not_in")
NULL_OPS = ("is_null", "not_null")
SET_OPS = ("in", "not_in")
_ARITY = {"ratio": 2, "difference": 2, "log1p": 1, "bin": 1, "length": 1, **{op: 1 for op in DATE_OPS}}


def _choose(value: str, allowed: tuple[str, ...], what: str, owner: str) -> None:
    if value not in allowed:
        raise InputError(f"{owner} has unknown {what} {value!r}.",
                         f"Choose one of: {', '.join(allowed)}.")


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Spec:
    """to_dict / from_dict shared by the recipe dataclasses (JSON-safe, lists for tuples)."""

    _tuple_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        if not isinstance(data, dict):
            raise InputError(f"A {cls.__name__} must be an object, got {data!r}.",
                             "Save the recipe again from the recipe page.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{cls.__name__} has unknown fields {unknown} in {data!r}.",
                             f"Use only: {', '.join(sorted(known))}.")
        values = {k: tuple(v) if k in cls._tuple_fields and isinstance(v, list) else v
                  for k, v in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"{cls.__name__} {data!r} is incomplete: {exc}.",
                             "Give every required field.") from None


@dataclass(frozen=True, kw_only=True)
class ColumnStep(_Spec):
    """How one source column is used and, when fed to the model, prepared.

    ``number_format`` (an example such as "1,234.56" or "1.234,56") reads a text column of
    numbers written for people as numbers before anything else (see :mod:`lifecycle.data.numbers`).
    ``kind`` says how a fed column is treated: "numeric" (clip -> impute -> scale) or
    "categorical" (impute -> encode). Integer codes may be treated as categorical; text may
    not be numeric. Outlier bounds are learned at fit time: IQR uses
    [Q1 - clip_k·IQR, Q3 + clip_k·IQR], quantile uses ``clip_quantiles``. One-hot encoding
    ignores unseen categories; ``max_categories`` / ``min_frequency`` group rare ones.
    """

    column: str
    role: str = "feature"
    kind: str = "numeric"
    imputation: str = "none"
    fill_value: float | str | None = None
    encoding: str = "none"
    scaling: str = "none"
    clip: str = "none"
    clip_k: float = 1.5
    clip_quantiles: tuple[float, float] = (0.01, 0.99)
    max_categories: int | None = None
    min_frequency: float | int | None = None
    number_format: str | None = None  # text read as numbers in this convention, e.g. "1,234.56"
    note: str = ""

    _tuple_fields = ("clip_quantiles",)

    def __post_init__(self):
        owner = f"Column {self.column!r}"
        if not isinstance(self.column, str) or not self.column:
            raise InputError(f"A recipe step has column {self.column!r}.",
                             "Name the column the step applies to.")
        for value, allowed, what in [(self.role, ROLES, "role"), (self.kind, KINDS, "kind"),
                                     (self.imputation, IMPUTATIONS, "imputation"),
                                     (self.encoding, ENCODINGS, "encoding"),
                                     (self.scaling, SCALINGS, "scaling"),
                                     (self.clip, CLIPS, "clipping")]:
            _choose(value, allowed, what, owner)
        if self.number_format is not None:
            from lifecycle.data.numbers import NumberFormat
            NumberFormat.from_label(self.number_format)
            if self.kind != "numeric":
                raise InputError(f"{owner} reads numbers written as {self.number_format!r} but its kind is "
                                 f"{self.kind!r}.", "Set kind 'numeric', or clear the number format to keep "
                                                    "the text as categories.")
        if self.kind == "numeric" and self.encoding != "none":
            raise InputError(f"{owner} is numeric but has encoding {self.encoding!r}.",
                             "Set kind 'categorical' to encode it, or set encoding 'none'.")
        if self.kind == "categorical":
            if self.scaling != "none" or self.clip != "none":
                raise InputError(f"{owner} is categorical but has scaling {self.scaling!r} "
                                 f"and clipping {self.clip!r}.",
                                 "Scaling and clipping apply to numbers; set them to 'none'.")
            if self.imputation in ("mean", "median"):
                raise InputError(f"{owner} is categorical; {self.imputation} imputation "
                                 "needs numbers.", "Use 'most_frequent' or 'constant'.")
        if self.kind == "numeric" and self.imputation == "constant" and not (
                self.fill_value is None or _is_number(self.fill_value)):
            raise InputError(f"{owner} is numeric but its fill value is {self.fill_value!r}.",
                             "Give a number as the fill value.")
        if not (_is_number(self.clip_k) and self.clip_k > 0):
            raise InputError(f"{owner} has IQR factor {self.clip_k!r}.",
                             "Use a positive number such as 1.5.")
        object.__setattr__(self, "clip_quantiles", tuple(self.clip_quantiles))
        low, high = (self.clip_quantiles + (None, None))[:2]
        if len(self.clip_quantiles) != 2 or not (
                _is_number(low) and _is_number(high) and 0 <= low < high <= 1):
            raise InputError(f"{owner} has clipping quantiles {self.clip_quantiles!r}.",
                             "Use two numbers 0 <= low < high <= 1, such as (0.01, 0.99).")
        if self.max_categories is not None and not (
                isinstance(self.max_categories, int) and self.max_categories >= 2):
            raise InputError(f"{owner} has max_categories {self.max_categories!r}.",
                             "Use a whole number of at least 2, or leave it empty.")
        if self.min_frequency is not None and not (
                _is_number(self.min_frequency) and self.min_frequency > 0):
            raise InputError(f"{owner} has min_frequency {self.min_frequency!r}.",
                             "Use a count (>= 1) or a share (0 to 1), or leave it empty.")


@dataclass(frozen=True, kw_only=True)
class RowFilter(_Spec):
    """Keep rows where ``column op value``. Missing values never satisfy a comparison
    (not even ``!=`` or ``not_in``); use ``is_null`` / ``not_null`` for them."""

    column: str
    op: str
    value: Any = None

    _tuple_fields = ("value",)

    def __post_init__(self):
        owner = f"Filter on column {self.column!r}"
        _choose(self.op, FILTER_OPS, "operator", owner)
        if self.op in NULL_OPS and self.value is not None:
            raise InputError(f"{owner}: '{self.op}' takes no value, got {self.value!r}.",
                             "Leave the value empty.")
        if self.op in SET_OPS:
            if isinstance(self.value, list):
                object.__setattr__(self, "value", tuple(self.value))
            if not isinstance(self.value, tuple) or not self.value:
                raise InputError(f"{owner}: '{self.op}' needs a list of values, got "
                                 f"{self.value!r}.", "Give one or more values.")
        if self.op not in NULL_OPS + SET_OPS and (self.value is None or isinstance(
                self.value, (list, tuple, dict))):
            raise InputError(f"{owner}: '{self.op}' needs one value, got {self.value!r}.",
                             f"Give a single value, or use 'is_null' to keep empty rows.")

    def __str__(self) -> str:
        return f"{self.column} {self.op}" + ("" if self.op in NULL_OPS else f" {self.value!r}")


@dataclass(frozen=True, kw_only=True)
class DerivedColumn(_Spec):
    """A column computed inside the compiled transformer, so serving computes it too.

    Ops (see :class:`lifecycle.data.recipe.transformers.DerivedColumnTransformer`): ratio and difference
    of two inputs, sum and product of two or more, log1p (negative -> NaN), bin by ``edges``,
    and year / month / dayofweek of a date. The result is numeric, then imputed and scaled.
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    edges: tuple[float, ...] | None = None
    imputation: str = "median"
    fill_value: float | None = None
    scaling: str = "none"
    note: str = ""

    _tuple_fields = ("inputs", "edges")

    def __post_init__(self):
        owner = f"Derived column {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"A derived column has name {self.name!r}.", "Give it a name.")
        _choose(self.op, DERIVED_OPS, "operation", owner)
        _choose(self.imputation, IMPUTATIONS, "imputation", owner)
        _choose(self.scaling, SCALINGS, "scaling", owner)
        if isinstance(self.inputs, (list, str)):
            object.__setattr__(self, "inputs", tuple([self.inputs] if isinstance(
                self.inputs, str) else self.inputs))
        wanted = _ARITY.get(self.op)
        if (wanted and len(self.inputs) != wanted) or (not wanted and len(self.inputs) < 2):
            count = f"exactly {wanted}" if wanted else "two or more"
            raise InputError(f"{owner}: '{self.op}' takes {count} input columns, got "
                             f"{list(self.inputs)}.", f"Pick {count} input columns.")
        if self.op == "bin":
            edges = tuple(self.edges or ())
            if not edges or not all(_is_number(e) and math.isfinite(e) for e in edges) or any(
                    a >= b for a, b in zip(edges, edges[1:])):
                raise InputError(f"{owner}: bin edges {self.edges!r} are not increasing "
                                 "numbers.", "Give edges such as [18, 30, 45, 65].")
            object.__setattr__(self, "edges", edges)
        if self.imputation == "constant" and not (self.fill_value is None or _is_number(
                self.fill_value)):
            raise InputError(f"{owner} has fill value {self.fill_value!r}.", "Give a number.")


@dataclass(frozen=True, kw_only=True)
class Recipe(_Spec):
    """Column steps, row filters and derived columns; one recipe compiles to one transformer.

    Columns with role "sensitive" are kept aside for fairness analysis and not fed to the
    model unless ``sensitive_as_feature`` is set.
    """

    steps: tuple[ColumnStep, ...]
    filters: tuple[RowFilter, ...] = ()
    derived: tuple[DerivedColumn, ...] = ()
    sensitive_as_feature: bool = False

    def __post_init__(self):
        for name, cls in (("steps", ColumnStep), ("filters", RowFilter),
                          ("derived", DerivedColumn)):
            items = tuple(cls.from_dict(i) if isinstance(i, dict) else i
                          for i in getattr(self, name))
            object.__setattr__(self, name, items)
        for label, names in (("column", [s.column for s in self.steps]),
                             ("derived column", [d.name for d in self.derived])):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise InputError(f"The recipe lists {label} {repeated[0]!r} more than once.",
                                 "Keep one entry per name.")
        targets = [s.column for s in self.steps if s.role == "target"]
        if len(targets) > 1:
            raise InputError(f"Columns {targets} all have role 'target'.",
                             "Give exactly one column the role 'target'.")

    def step(self, column: str) -> ColumnStep | None:
        return next((s for s in self.steps if s.column == column), None)

    @property
    def target(self) -> str | None:
        return next((s.column for s in self.steps if s.role == "target"), None)

    @property
    def sensitive(self) -> tuple[str, ...]:
        return tuple(s.column for s in self.steps if s.role == "sensitive")

    @property
    def model_steps(self) -> tuple[ColumnStep, ...]:
        """Steps whose column is fed to the model as it is."""
        fed = ("feature", "sensitive") if self.sensitive_as_feature else ("feature",)
        return tuple(s for s in self.steps if s.role in fed)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Raw columns a serving row must carry: fed columns and derived inputs."""
        names = [s.column for s in self.model_steps]
        names += [c for d in self.derived for c in d.inputs]
        return tuple(dict.fromkeys(names))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
