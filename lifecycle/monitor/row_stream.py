"""Rows drawn from the replay rows, clean or drifted, the same for the same seed.

Clean rows (and drifted rows whose drift only shifts values) are replayed in a shuffled order,
each row once per pass, a new shuffle each pass. Drifted rows under a category weight or a label
rate are drawn with replacement with probabilities proportional to the weights: a row of a
weighted category counts ``factor`` times; with a label rate P, the weights of positive rows are
scaled to sum to P and those of the other rows to 1 - P (resampling to the new prior, keeping
each class's rows in their proportions). A shift then adds its amount to the drawn rows' values.
Rows come out as a JSON client sends them: plain Python values, None for an empty value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.errors import InputError
from lifecycle.monitor.drift_spec import DriftSpec
from lifecycle.monitor.replay_rows import ReplayRows


@dataclass(frozen=True, kw_only=True)
class Drawn:
    """Rows drawn for one request: the records sent, their true labels, which rows are drifted,
    and the replay row each came from."""

    records: list[dict[str, Any]]
    labels: list[Any]
    drifted: np.ndarray  # bool per row
    source: np.ndarray  # position in ReplayRows.frame per row


class RowStream:
    """Draws rows from ``rows`` for a simulation with ``drift``, deterministically from ``seed``."""

    def __init__(self, rows: ReplayRows, drift: DriftSpec, seed: int | np.random.SeedSequence):
        if len(rows) == 0:
            raise InputError(f"{rows.project} has no held-out rows to replay.",
                             "Create a split with a test share in the Data stage and train on it.")
        self.rows = rows
        self.drift = drift
        self.rng = np.random.default_rng(seed)
        self._order = np.empty(0, dtype=np.int64)
        self._next = 0
        self._probabilities = _probabilities(rows, drift) if drift.resamples else None

    def take(self, drifted: np.ndarray) -> Drawn:
        """One row per entry of ``drifted`` (a boolean array: which rows carry the drift)."""
        drifted = np.asarray(drifted, dtype=bool)
        source = np.empty(len(drifted), dtype=np.int64)
        clean = ~drifted if self._probabilities is not None else np.ones(len(drifted), dtype=bool)
        source[clean] = self._replayed(int(clean.sum()))
        if self._probabilities is not None and drifted.any():
            source[drifted] = self.rng.choice(len(self.rows), size=int(drifted.sum()), p=self._probabilities)
        frame = self.rows.frame.iloc[source].reset_index(drop=True)
        if self.drift.shifts and drifted.any():
            frame = _shifted(frame, self.drift, drifted)
        return Drawn(records=records_of(frame), labels=self.rows.labels[source].tolist(), drifted=drifted,
                     source=source)

    def _replayed(self, n: int) -> np.ndarray:
        out = []
        while n > 0:
            if self._next >= len(self._order):
                self._order, self._next = self.rng.permutation(len(self.rows)), 0
            taken = self._order[self._next:self._next + n]
            self._next += len(taken)
            n -= len(taken)
            out.append(taken)
        return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a JSON client sends them: plain Python values, None for an empty value (NaN, NA)."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        missing = values.isna().to_numpy()
        plain = values.astype(object).to_numpy()
        columns[name] = [None if gone else (value.item() if isinstance(value, np.generic) else value)
                         for value, gone in zip(plain, missing)]
    names = list(frame.columns)
    return [dict(zip(names, values)) for values in zip(*(columns[n] for n in names))] if names else []


def _shifted(frame: pd.DataFrame, drift: DriftSpec, drifted: np.ndarray) -> pd.DataFrame:
    frame = frame.copy()
    for shift in drift.shifts:
        values = frame[shift.column]
        if float(shift.amount).is_integer() and pd.api.types.is_integer_dtype(values):
            moved = values.to_numpy().copy()
            moved[drifted] += int(shift.amount)
        else:
            moved = values.to_numpy(dtype=float, na_value=np.nan).copy()
            moved[drifted] += shift.amount
        frame[shift.column] = moved
    return frame


def _probabilities(rows: ReplayRows, drift: DriftSpec) -> np.ndarray:
    """The drawing probability of each replay row under ``drift``'s weights and label rate."""
    weights = np.ones(len(rows), dtype=float)
    for weight in drift.weights:
        texts = rows.frame[weight.column].astype(object).map(lambda v: None if pd.isna(v) else str(v)).to_numpy()
        match = texts == weight.category
        if not match.any():
            raise InputError(f"No held-out row of {rows.project} has {weight.column}={weight.category}, so "
                             f"re-weighting it changes nothing.", "Re-weight a category the rows hold.")
        weights[match] *= weight.factor
    if drift.label_rate is not None:
        positive = rows.positives
        on, off = weights[positive].sum(), weights[~positive].sum()
        if on == 0 or off == 0:
            which = "positive" if on == 0 else "other"
            raise InputError(f"label-rate:{drift.label_rate} needs rows of both labels, but no held-out row of the "
                             f"{which} label is left to draw (after the category weights).",
                             "Leave label-rate out, or weight fewer categories to 0.")
        weights = np.where(positive, weights * drift.label_rate / on, weights * (1 - drift.label_rate) / off)
    total = weights.sum()
    if total <= 0:
        raise InputError("The drift's category weights leave no held-out row to draw (every row weighs 0).",
                         "Give at least one category a factor above 0.")
    return weights / total
