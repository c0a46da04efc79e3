"""Rows of a scoring request checked against a version's input schema without building a DataFrame
per row, and the one DataFrame a batch of checked rows becomes.

A row whose every value is already plain (a number for a numeric column, a known category's text
for a categorical one, an empty value where the schema allows it) is accepted here in a few
microseconds. Anything else (numeric text, a bool, an unknown category, an empty value where it is
not allowed, a missing column) goes through ``schema.check_frame``, the one check batch scoring
uses too, so both give the same values and name the same row and column.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lifecycle.deploy.schema import NUMERIC_TYPES, SchemaError, check_frame, frame_from_records, known_categories
from lifecycle.records import InputColumn

NUMBER, NUMERIC_CATEGORY, TEXT = 0, 1, 2
_MISSING = object()


class RowChecker:
    """Checks rows for one input schema; ``canonical`` rows feed ``frame`` (the pipeline's input)."""

    def __init__(self, schema: Sequence[InputColumn]):
        self.schema = tuple(schema)
        self.names = tuple(c.name for c in self.schema)
        self._plan = []
        for column in self.schema:
            numeric = column.kind == "numeric" or column.dtype in NUMERIC_TYPES
            known = known_categories(column) if column.kind == "categorical" and column.categories else None
            how = (NUMERIC_CATEGORY if known is not None else NUMBER) if numeric else TEXT
            self._plan.append((column.name, how, known, column.nullable))

    def fast(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The row's values as the pipeline takes them, or None when the row needs the full check."""
        out = {}
        for name, how, known, nullable in self._plan:
            value = record.get(name, _MISSING)
            if value is None or (type(value) is float and value != value):  # empty (None or NaN)
                if not nullable:
                    return None
                out[name] = math.nan if how != TEXT else None
                continue
            kind = type(value)
            if how == TEXT:
                if kind is not str or (known is not None and value not in known):
                    return None
                out[name] = value
            elif kind is int or kind is float:
                if how == NUMERIC_CATEGORY:
                    if kind is int:
                        text = str(value)
                    elif value.is_integer() and abs(value) < 2.0 ** 63:
                        text = str(int(value))
                    else:
                        text = str(value)
                    if text not in known:
                        return None
                out[name] = float(value)
            else:  # missing key, numeric text, bool, anything else: the full check decides
                return None
        return out

    def check(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Every row canonical, or SchemaError naming each bad row and column (positions in ``records``)."""
        rows = [self.fast(r) if isinstance(r, Mapping) else None for r in records]
        if any(row is None for row in rows):  # the whole request through the one full check, as batch scoring
            checked = check_frame(self.schema, frame_from_records(records))  # names a row that is not an object
            if checked.problems:
                raise SchemaError(checked.problems)
            rows = [{name: (None if how == TEXT and _empty(row[name]) else row[name])
                     for name, how, _, _ in self._plan} for row in checked.frame.to_dict("records")]
        return rows  # type: ignore[return-value]

    def frame(self, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The pipeline's input for canonical rows: float64 for numbers, object text (None when empty)."""
        columns = {}
        for name, how, _, _ in self._plan:
            values = [row[name] for row in rows]
            if how == TEXT:
                columns[name] = pd.Series(values, dtype=object)
            else:
                columns[name] = pd.Series(np.array(values, dtype=np.float64))
        return pd.DataFrame(columns)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
