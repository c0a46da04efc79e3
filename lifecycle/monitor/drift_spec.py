"""The drift a traffic simulation injects, written as a short spec: parts joined by ``;``.

=============================  ==========================================================
``shift:COLUMN=AMOUNT``        add AMOUNT to a numeric column (``shift:age=+10``, ``-2.5``)
``weight:COLUMN=CATEGORY:F``   draw rows of that category F times as often (``weight:workclass=Private:3``;
                               F = 0 leaves the category out)
``label-rate:P``               resample rows so that a share P of them has the positive label
                               (binary projects; ``label-rate:0.4``)
``after:N``                    the drift starts at the N-th row sent (0 = the first)
``from:TIME``                  the drift starts at TIME (ISO 8601, UTC unless an offset is given)
``none`` (or nothing)          no drift
=============================  ==========================================================

Example: ``shift:age=+10;weight:workclass=Private:3;after:500``. :func:`parse_drift` checks the
grammar (each error names the part and shows the form to write); :meth:`DriftSpec.check` checks
it against a model's input schema (the column exists, is numeric for a shift, categorical with
that category for a weight; label-rate needs a binary task).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import numpy as np

from lifecycle.errors import InputError
from lifecycle.records import InputColumn

FORMS = {
    "shift": "shift:COLUMN=AMOUNT, for example shift:age=+10",
    "weight": "weight:COLUMN=CATEGORY:FACTOR, for example weight:workclass=Private:3",
    "label-rate": "label-rate:SHARE with a share between 0 and 1, for example label-rate:0.4",
    "after": "after:ROWS, for example after:500",
    "from": "from:TIME in ISO 8601, for example from:2026-03-01T12:00",
}
KINDS = tuple(FORMS)


@dataclass(frozen=True, kw_only=True)
class Shift:
    """Add ``amount`` to every non-empty value of the numeric column ``column``."""

    column: str
    amount: float


@dataclass(frozen=True, kw_only=True)
class Reweight:
    """Draw rows whose ``column`` is ``category`` ``factor`` times as often (0: never)."""

    column: str
    category: str
    factor: float


@dataclass(frozen=True, kw_only=True)
class DriftSpec:
    """What changes (shifts, category weights, the positive label rate) and from when (``after_rows``
    rows, ``starts_at`` time: both must have passed). ``DriftSpec()`` is no drift."""

    shifts: tuple[Shift, ...] = ()
    weights: tuple[Reweight, ...] = ()
    label_rate: float | None = None
    after_rows: int = 0
    starts_at: datetime | None = None  # naive UTC

    @property
    def changes(self) -> bool:
        """True when the spec changes anything at all."""
        return bool(self.shifts or self.weights or self.label_rate is not None)

    @property
    def resamples(self) -> bool:
        """True when drifted rows are drawn with weights (a category weight or a label rate)."""
        return bool(self.weights or self.label_rate is not None)

    def active(self, row_number: int, at: datetime) -> bool:
        """Whether the drift applies to the ``row_number``-th row (0-based) sent or written at ``at``."""
        return self.changes and row_number >= self.after_rows and (self.starts_at is None or at >= self.starts_at)

    def active_rows(self, first_row: int, times: Sequence[datetime]) -> np.ndarray:
        """:meth:`active` for consecutive rows numbered from ``first_row`` at ``times`` (one per row)."""
        n = len(times)
        if not self.changes:
            return np.zeros(n, dtype=bool)
        mask = np.arange(first_row, first_row + n) >= self.after_rows
        if self.starts_at is not None:
            mask &= np.array([moment >= self.starts_at for moment in times], dtype=bool)
        return mask

    def check(self, schema: Sequence[InputColumn], task: str) -> None:
        """Refuse (InputError) a spec that does not fit the model: an unknown column, a shift of a
        non-numeric column, a weight of a numeric column or an unknown category, a label rate on a
        task that is not binary."""
        columns = {c.name: c for c in schema}
        known = ", ".join(columns) or "none"
        for shift in self.shifts:
            column = columns.get(shift.column)
            if column is None:
                raise InputError(f"The drift part 'shift:{shift.column}=…' names no input column of the model.",
                                 f"Shift one of its numeric columns: {_numeric_names(schema) or known}.")
            if not _numeric(column):
                raise InputError(f"The drift part 'shift:{shift.column}=…' shifts {shift.column!r}, which is "
                                 f"{column.kind} ({column.dtype}), not a number.",
                                 f"Re-weight one of its categories instead: weight:{shift.column}=CATEGORY:3.")
        for weight in self.weights:
            column = columns.get(weight.column)
            if column is None:
                raise InputError(f"The drift part 'weight:{weight.column}=…' names no input column of the model.",
                                 f"Re-weight one of its categorical columns: {_categorical_names(schema) or known}.")
            if column.kind != "categorical" or not column.categories:
                raise InputError(f"The drift part 'weight:{weight.column}=…' re-weights {weight.column!r}, which "
                                 f"has no categories ({column.kind}, {column.dtype}).",
                                 f"Shift it instead: shift:{weight.column}=+10.")
            if weight.category not in column.categories:
                listed = ", ".join(column.categories[:12]) + (" …" if len(column.categories) > 12 else "")
                raise InputError(f"The drift part 'weight:{weight.column}={weight.category}:…' names a category "
                                 f"{weight.column!r} does not have.", f"Pick one of: {listed}.")
        if self.label_rate is not None and task != "binary":
            raise InputError(f"The drift part 'label-rate:{self.label_rate:g}' needs a binary project; this one "
                             f"is {task}.", "Leave label-rate out, or shift or re-weight a column instead.")

    def __str__(self) -> str:
        """The spec as it would be written (``parse_drift(str(spec)) == spec``); ``none`` for no drift."""
        parts = [f"shift:{s.column}={_shown(s.amount, sign=True)}" for s in self.shifts]
        parts += [f"weight:{w.column}={w.category}:{_shown(w.factor)}" for w in self.weights]
        if self.label_rate is not None:
            parts.append(f"label-rate:{_shown(self.label_rate)}")
        if self.after_rows:
            parts.append(f"after:{self.after_rows}")
        if self.starts_at is not None:
            parts.append(f"from:{self.starts_at.isoformat()}")
        return ";".join(parts) or "none"


NO_DRIFT = DriftSpec()


def parse_drift(text: str | None) -> DriftSpec:
    """The :class:`DriftSpec` written in ``text`` (see the module's table). Raises InputError naming
    the part that does not parse and the form to write instead."""
    shifts: list[Shift] = []
    weights: list[Reweight] = []
    label_rate: float | None = None
    after_rows, starts_at = 0, None
    seen: set[str] = set()
    for raw in (text or "").split(";"):
        part = raw.strip()
        if not part or part.lower() == "none":
            continue
        kind, colon, rest = part.partition(":")
        kind = kind.strip().lower()
        if not colon or kind not in FORMS:
            raise InputError(f"The drift part {part!r} is not one of {', '.join(KINDS)}.",
                             "Write parts such as shift:age=+10, weight:workclass=Private:3, label-rate:0.4, "
                             "after:500, joined by ';'.")
        if kind in ("label-rate", "after", "from") and kind in seen:
            raise InputError(f"The drift spec gives {kind} twice ({part!r} is the second).", "Keep one of them.")
        seen.add(kind)
        rest = rest.strip()
        if kind == "shift":
            shifts.append(_shift(part, rest))
        elif kind == "weight":
            weights.append(_weight(part, rest))
        elif kind == "label-rate":
            label_rate = _number(part, rest, kind)
            if not 0.0 < label_rate < 1.0:
                raise InputError(f"The drift part {part!r} asks for a share of {rest}, outside 0 to 1.", FORMS[kind])
        elif kind == "after":
            if not rest.isdigit():
                raise InputError(f"The drift part {part!r} does not give a whole number of rows.", FORMS[kind])
            after_rows = int(rest)
        else:
            starts_at = _time(part, rest)
    _no_repeats(shifts, weights)
    spec = DriftSpec(shifts=tuple(shifts), weights=tuple(weights), label_rate=label_rate, after_rows=after_rows,
                     starts_at=starts_at)
    if (after_rows or starts_at is not None) and not spec.changes:
        raise InputError(f"The drift spec {text!r} says when the drift starts but not what changes.",
                         "Add a shift, weight or label-rate part, for example shift:age=+10;after:500.")
    return spec


def _shift(part: str, rest: str) -> Shift:
    column, equals, amount = rest.rpartition("=")
    if not equals or not column.strip():
        raise InputError(f"The drift part {part!r} does not say which column to shift by how much.", FORMS["shift"])
    value = _number(part, amount, "shift")
    if value == 0:
        raise InputError(f"The drift part {part!r} shifts by 0, which changes nothing.", FORMS["shift"])
    return Shift(column=column.strip(), amount=value)


def _weight(part: str, rest: str) -> Reweight:
    column, equals, tail = rest.partition("=")
    category, colon, factor = tail.rpartition(":")
    if not equals or not column.strip() or not colon or not category.strip():
        raise InputError(f"The drift part {part!r} does not name a column, a category and a factor.",
                         FORMS["weight"])
    value = _number(part, factor, "weight")
    if value < 0:
        raise InputError(f"The drift part {part!r} gives a negative factor.", FORMS["weight"] + " (0 leaves the "
                                                                                             "category out)")
    return Reweight(column=column.strip(), category=category.strip(), factor=value)


def _number(part: str, text: str, kind: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(f"The drift part {part!r} has {text.strip()!r} where a number belongs.", FORMS[kind]) from None
    if not math.isfinite(value):
        raise InputError(f"The drift part {part!r} has {text.strip()!r}, which is not a finite number.", FORMS[kind])
    return value


def _time(part: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise InputError(f"The drift part {part!r} does not give a time.", FORMS["from"]) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _no_repeats(shifts: list[Shift], weights: list[Reweight]) -> None:
    columns = [s.column for s in shifts]
    twice = next((c for c in columns if columns.count(c) > 1), None)
    if twice is not None:
        raise InputError(f"The drift spec shifts {twice!r} twice.", "Give one shift per column with the total amount.")
    pairs = [(w.column, w.category) for w in weights]
    again = next((p for p in pairs if pairs.count(p) > 1), None)
    if again is not None:
        raise InputError(f"The drift spec weights {again[0]}={again[1]} twice.", "Give one factor per category.")


def _shown(value: float, *, sign: bool = False) -> str:
    """A number as written in a spec, exactly (``10.0`` -> ``10``, ``+10`` with ``sign``)."""
    text = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    return f"+{text}" if sign and value >= 0 else text


def _numeric(column: InputColumn) -> bool:
    return column.kind == "numeric" and column.dtype in ("integer", "float")


def _numeric_names(schema: Sequence[InputColumn]) -> str:
    return ", ".join(c.name for c in schema if _numeric(c))


def _categorical_names(schema: Sequence[InputColumn]) -> str:
    return ", ".join(c.name for c in schema if c.kind == "categorical" and c.categories)
