"""Checking rows to score against a model version's input schema, naming each problem's row and column.

A serving row must carry every input column; a numeric column a number (or numeric text, as CSV
brings it); a categorical column a category seen in training (compared as the recipe reads a
category: ``1.0`` and ``1`` are one); and an empty value only where the schema allows it. Columns
the schema does not name are ignored, as MLflow's scoring server ignores them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lifecycle.data.recipe.transformers import AsText
from lifecycle.errors import InputError
from lifecycle.records import InputColumn

NUMERIC_TYPES = ("integer", "float", "boolean")


def known_categories(column: InputColumn) -> frozenset[str]:
    """The categories a serving value is compared with, as the recipe reads a category (``AsText``):
    a schema stored before registration normalised them may hold ``"1.0"`` for the category ``1``."""
    texts = set(column.categories)
    for category in column.categories:
        try:
            number = float(category)
        except ValueError:
            continue
        if number.is_integer():
            texts.add(str(int(number)))
    return frozenset(texts)


@dataclass(frozen=True, kw_only=True)
class RowProblem:
    """One value that does not fit the schema: where it is (row, column) and what is wrong, in words."""

    row: int  # 0-based position in the request (or file)
    column: str
    problem: str  # what is wrong and what was expected, in words

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.problem}"


class SchemaError(InputError):
    """Rows that do not fit the schema; ``problems`` names each row and column (at most ``MAX_LISTED`` kept)."""

    MAX_LISTED = 100

    def __init__(self, problems: Sequence[RowProblem], total: int | None = None):
        self.problems = tuple(problems[:self.MAX_LISTED])
        self.total = total if total is not None else len(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"{self.total} value(s) do not fit the model's input schema: {shown}{more}.",
                         "Send every input column with the type the schema gives (GET /metadata lists it).")


@dataclass(frozen=True, kw_only=True)
class Checked:
    """The rows that fit, as the frame the pipeline takes, and the problems of those that do not."""

    frame: pd.DataFrame  # only the rows without problems, in request order, schema columns only
    rows: np.ndarray  # the request positions of ``frame``'s rows
    problems: tuple[RowProblem, ...]
    n_rows: int

    @property
    def failed_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


def frame_from_records(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows given as JSON objects (``[{"age": 39, ...}, ...]``) as a frame; a row that is not an
    object is refused naming its position."""
    records = list(records)
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise InputError(f"Row {position} is not an object of column values (got {type(record).__name__}).",
                             'Send rows as objects: [{"column": value, ...}, ...].')
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


def check_frame(schema: Sequence[InputColumn], frame: pd.DataFrame) -> Checked:
    """Check every row of ``frame`` against ``schema``; rows with a problem are left out of the
    result's frame and named in its ``problems`` (never silently dropped)."""
    n = len(frame)
    problems: list[RowProblem] = []
    bad = np.zeros(n, dtype=bool)
    columns: dict[str, Any] = {}
    for column in schema:
        if column.name not in frame.columns:
            problems.append(RowProblem(row=0, column=column.name,
                                       problem=f"the column is missing from every row (expected {column.dtype})"))
            bad[:] = True
            columns[column.name] = pd.Series(np.nan, index=frame.index)
            continue
        values = frame[column.name]
        missing = values.isna().to_numpy()
        if not column.nullable:
            for row in np.flatnonzero(missing):
                problems.append(RowProblem(row=int(row), column=column.name,
                                           problem="is empty, and this column may not be (it had no empty values "
                                                   "in training and the recipe does not fill them)"))
            bad |= missing
        if column.kind == "numeric" or column.dtype in NUMERIC_TYPES:
            converted = _numeric(values)
            wrong = converted.isna().to_numpy() & ~missing
            for row in np.flatnonzero(wrong):
                problems.append(RowProblem(row=int(row), column=column.name,
                                           problem=f"{_show(values.iloc[row])} is not a number ({column.dtype} "
                                                   "expected)"))
            bad |= wrong
            if column.kind == "categorical" and column.categories:
                texts = AsText().fit_transform(converted.to_frame())[:, 0]
                bad |= _unknown(column, texts, missing | wrong, values, problems)
            columns[column.name] = converted
        else:
            texts = AsText().fit_transform(values.to_frame())[:, 0]
            if column.kind == "categorical" and column.categories:
                bad |= _unknown(column, texts, missing, values, problems)
            columns[column.name] = pd.Series(np.where(missing, None, texts), index=frame.index, dtype=object)
    good = ~bad
    checked = pd.DataFrame({name: series[good] for name, series in columns.items()})
    return Checked(frame=checked.reset_index(drop=True), rows=np.flatnonzero(good), n_rows=n,
                   problems=tuple(sorted(problems, key=lambda p: (p.row, p.column))))


def check_strict(schema: Sequence[InputColumn], frame: pd.DataFrame) -> pd.DataFrame:
    """Like ``check_frame`` for a request that must fit whole: the frame, or SchemaError."""
    checked = check_frame(schema, frame)
    if checked.problems:
        raise SchemaError(checked.problems)
    return checked.frame


def _numeric(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    cleaned = values.map(lambda v: v if not isinstance(v, bool) else float(v))
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _unknown(column: InputColumn, texts: np.ndarray, skip: np.ndarray, values: pd.Series,
             problems: list[RowProblem]) -> np.ndarray:
    known = known_categories(column)
    unknown = np.array([not skip[i] and texts[i] not in known for i in range(len(texts))], dtype=bool)
    for row in np.flatnonzero(unknown):
        sample = ", ".join(column.categories[:8]) + (" …" if len(column.categories) > 8 else "")
        problems.append(RowProblem(row=int(row), column=column.name,
                                   problem=f"{_show(values.iloc[row])} is not a category seen in training "
                                           f"(known: {sample})"))
    return unknown


def _show(value: Any) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "…"
