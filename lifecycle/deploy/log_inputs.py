"""A scored row's inputs as the prediction log stores them: one typed Parquet column per input the
model's schema names (``lifecycle.records.log_names`` names it), and JSON text of the keys it does not.

The type comes from the model version's input schema, known when the version is loaded: a DOUBLE
for a column the schema reads as a number (numeric kind, or an integer, float or boolean type; as
``deploy.rows`` gives it to the pipeline), text for the rest (a category as the recipe reads it,
``data.recipe.transformers.category_text``). A value that is missing, empty, not a finite number in
a number column, or of a type that cannot be read as the column's, is NULL: a row never breaks a
segment. Keys the schema does not name (a sensitive attribute sent beside the model's inputs, for
fairness by window) stay in the ``inputs`` column as JSON text, NULL when there are none, so no
value is written twice. Rows logged without a schema keep every key in ``inputs`` (the log's
first format, still read).

The work runs on the log's writer thread, never in the request.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from lifecycle.data.recipe.transformers import category_text
from lifecycle.deploy.schema import NUMERIC_TYPES
from lifecycle.records.log_names import column_name
from lifecycle.records import InputColumn


@dataclass(frozen=True)
class InputSpec:
    """How one schema's inputs are logged: ``(input name, typed column, is a number)`` each."""

    columns: tuple[tuple[str, str, bool], ...]

    @classmethod
    def of(cls, schema: Sequence[InputColumn]) -> InputSpec:
        """The spec of a version's input schema."""
        return cls(tuple((c.name, column_name(c.name), c.kind == "numeric" or c.dtype in NUMERIC_TYPES)
                         for c in schema))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _, _ in self.columns)


def numbers(values: Sequence[Any]) -> pa.Array:
    """A DOUBLE array: each value as a float when it reads as a finite one, else NULL."""
    try:  # numbers, numpy scalars and bools convert as float() reads them; anything else raises
        return _finite(pa.array(values, type=pa.float64(), from_pandas=True))  # NaN -> NULL
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    return _finite(pa.array([_number(v) for v in values], type=pa.float64()))


def _finite(array: pa.Array) -> pa.Array:
    if array.null_count == len(array):
        return array
    return pc.if_else(pc.is_finite(array), array, pa.scalar(None, pa.float64()))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, (list, dict, tuple)):
        return None
    try:
        number = float(value)  # int, float, numpy scalars, numeric text, bool (as the service reads it)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def texts(values: Sequence[Any]) -> pa.Array:
    """A text array: strings as they are, other values as the recipe reads a category, NULL when empty."""
    if all(v is None or type(v) is str for v in values):
        return pa.array(values, type=pa.string())
    return pa.array([_text(v) for v in values], type=pa.string())


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, (list, dict, tuple)):
        return None
    try:
        text = category_text(value)
    except Exception:  # noqa: BLE001 - a value that cannot be read is empty, never a broken segment
        return None
    return text if isinstance(text, str) else None


def split(records: Sequence[Any], specs: Sequence[InputSpec | None]) -> tuple[list[str | None], dict[str, pa.Array]]:
    """The ``inputs`` JSON text of each row (the keys its spec does not name; None when none) and
    the typed columns of every spec present (NULL in rows of another spec). ``records`` are the
    rows as logged (mappings; anything else logs nothing), ``specs`` each row's spec (None: no
    schema, every key stays JSON)."""
    n = len(records)
    groups: dict[InputSpec | None, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec, []).append(i)
    extras: list[str | None] = [None] * n
    typed: dict[str, list] = {}
    numeric: dict[str, bool] = {}
    for spec, rows in groups.items():
        mine = [records[i] if isinstance(records[i], Mapping) else None for i in rows]
        names = spec.names if spec is not None else frozenset()
        for i, record in zip(rows, mine):
            if record:
                extra = {k: v for k, v in record.items() if k not in names} if names else record
                extras[i] = json.dumps(extra, default=str) if extra else None
        if spec is None:
            continue
        whole = len(rows) == n
        for name, column, is_number in spec.columns:
            values = [r.get(name) if r is not None else None for r in mine]
            if whole:
                typed[column] = values
            else:
                target = typed.setdefault(column, [None] * n)
                for i, value in zip(rows, values):
                    target[i] = value
            # two schemas that disagree on a column's type (a shadow, a new version) log it as text
            numeric[column] = numeric.get(column, is_number) and is_number
    return extras, {column: numbers(values) if numeric[column] else texts(values) for column, values in typed.items()}
