"""Numbers written for people: thousands separators, currency signs, percent, decimal commas.

A :class:`NumberFormat` names a convention (decimal mark and thousands separator) and parses
text written in it; :func:`detect_format` finds the convention a column of text is written in,
if any. Currency signs or codes before or after the number, a trailing percent sign, a sign
(``-``, ``+``, ``−``) and accounting parentheses ``(1,234.00)`` are accepted in every
convention; the number is kept as written (``12.5%`` is 12.5, ``$8,412.50`` is 8412.5).
Codes with leading zeros (``007``, ``01234``) are not numbers: converting would lose them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from lifecycle.errors import InputError

DECIMALS = (".", ",")
THOUSANDS = (",", ".", " ", "'", "_")
NUMERIC_SHARE = 0.95  # of the distinct filled values, for a text column to count as numbers
_SPACES = "\u00a0\u202f\u2009"  # no-break, narrow no-break and thin spaces group digits too
_CURRENCY = r"(?:[$€£¥₹₩₽¢₺₪₫฿]|(?:[A-Z]{3})(?=[\s\d(+\-−])|(?<=[\d\s)])(?:[A-Z]{3}))"
_SHAPE = re.compile(
    rf"^(?P<open>\()?\s*(?P<s1>[-+−])?\s*(?:{_CURRENCY}\s*)?(?P<s2>[-+−])?\s*(?P<num>[\d.,' _]+?)\s*"
    rf"(?:{_CURRENCY})?\s*(?P<pct>%)?\s*(?P<close>\))?$")


@dataclass(frozen=True, kw_only=True)
class NumberFormat:
    """A convention: ``decimal`` mark ("." or ",") and ``thousands`` separator (or None)."""

    decimal: str = "."
    thousands: str | None = None

    def __post_init__(self):
        if self.decimal not in DECIMALS:
            raise InputError(f"Decimal mark {self.decimal!r} is not one of: {', '.join(map(repr, DECIMALS))}.",
                             "Use '.' (1234.56) or ',' (1234,56).")
        if self.thousands is not None and self.thousands not in THOUSANDS:
            raise InputError(f"Thousands separator {self.thousands!r} is not one of: "
                             f"{', '.join(map(repr, THOUSANDS))}.", "Use ',', '.', a space, or none.")
        if self.thousands == self.decimal:
            raise InputError(f"The decimal mark and the thousands separator are both {self.decimal!r}.",
                             "Give them different characters, such as decimal ',' and thousands '.'.")

    @property
    def label(self) -> str:
        """The convention as an example, "1,234.56"; :meth:`from_label` reads it back."""
        return f"1{self.thousands or ''}234{self.decimal}56"

    @classmethod
    def from_label(cls, label: str) -> NumberFormat:
        match = re.fullmatch(r"1(?P<t>[,. '_]?)234(?P<d>[.,])56", str(label))
        if match is None:
            raise InputError(f"Number format {label!r} is not an example such as '1,234.56' or '1.234,56'.",
                             "Write 1234.56 with your thousands separator and decimal mark.")
        return cls(decimal=match["d"], thousands=match["t"] or None)

    def _digits(self) -> re.Pattern:
        d = re.escape(self.decimal)
        plain = rf"\d+(?:{d}\d+)?|{d}\d+"
        if self.thousands is None:
            return re.compile(rf"^(?:{plain})$")
        t = re.escape(self.thousands)
        grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d+)?"
        if self.thousands == ",":  # Indian grouping: 12,34,567.00
            grouped += rf"|\d{{1,2}}(?:,\d{{2}})+,\d{{3}}(?:{d}\d+)?"
        return re.compile(rf"^(?:{plain}|{grouped})$")

    def parse(self, values: Iterable) -> np.ndarray:
        """Each value as a float; NaN for a missing value or text that is not a number in this
        convention."""
        digits = self._digits()
        out = []
        for value in values:
            number = None if value is None or (isinstance(value, float) and np.isnan(value)) \
                else self._one(str(value), digits)
            out.append(np.nan if number is None else number)
        return np.asarray(out, dtype=float)

    def _one(self, text: str, digits: re.Pattern) -> float | None:
        text = text.strip()
        for space in _SPACES:
            text = text.replace(space, " ")
        match = _SHAPE.match(text)
        if match is None or bool(match["open"]) != bool(match["close"]):
            return None
        number = match["num"].strip()
        if self.thousands == " ":
            number = re.sub(r" +", " ", number)
        if digits.match(number) is None or _leading_zero(number, self.decimal):
            return None
        value = float(number.replace(self.thousands or "\0", "").replace(self.decimal, "."))
        negative = (match["s1"] or match["s2"] or "") in ("-", "−") or bool(match["open"])
        return -value if negative else value


def _leading_zero(number: str, decimal: str) -> bool:
    """'007' and '0123' are codes; '0', '0.5' and '0,5' are numbers."""
    return len(number) > 1 and number[0] == "0" and number[1] != decimal


# Conventions tried in order; on a tie the earlier wins (so '1,234' reads as 1234).
CANDIDATES = (NumberFormat(decimal=".", thousands=","), NumberFormat(decimal=",", thousands="."),
              NumberFormat(decimal=",", thousands=" "), NumberFormat(decimal=".", thousands=" "),
              NumberFormat(decimal=".", thousands="'"), NumberFormat(decimal=".", thousands="_"))
_HUMAN = re.compile(r"[,'%$€£¥₹₩₽¢₺₪₫฿()\u00a0\u202f\u2009]|\d \d|[A-Z]{3}")


@dataclass(frozen=True, kw_only=True)
class Detection:
    """Text that reads as numbers: the convention, how many of the values checked fit it, one
    example as written, and whether another convention would read the same values differently."""

    format: NumberFormat
    checked: int
    parsed: int
    example: str
    ambiguous: bool

    @property
    def describe(self) -> str:
        return f"written like {self.example!r} (format {self.format.label})"


def detect_format(values: Iterable, *, decimal: str | None = None, thousands: str | None = None,
                  share: float = NUMERIC_SHARE) -> Detection | None:
    """The convention ``values`` (distinct text values of a column) are written in, or None when
    fewer than ``share`` of them are numbers in any convention (or none shows a sign of being
    written for people: a separator, a currency, a percent, a decimal comma). ``decimal`` /
    ``thousands`` restrict the conventions to the one a user named."""
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not texts:
        return None
    if decimal is not None or thousands is not None:
        candidates = [NumberFormat(decimal=decimal or ".", thousands=thousands)]
    else:
        candidates = list(CANDIDATES)
    scored = []
    for fmt in candidates:
        parsed = fmt.parse(texts)
        scored.append((int(np.isfinite(parsed).sum()), fmt, parsed))
    best = max(scored, key=lambda item: item[0])  # max keeps the first of equals
    count, fmt, parsed = best
    if count < share * len(texts):
        return None
    human = [t for t, v in zip(texts, parsed) if np.isfinite(v) and (_HUMAN.search(t) or fmt.decimal in t)]
    if not human and decimal is None and thousands is None:
        return None
    others = [p for c, f, p in scored if f != fmt and c == count]
    ambiguous = any(not np.allclose(p[np.isfinite(p)], parsed[np.isfinite(parsed)])
                    for p in others if np.array_equal(np.isfinite(p), np.isfinite(parsed)))
    example = max(human, key=len) if human else texts[0]
    return Detection(format=fmt, checked=len(texts), parsed=count, example=example, ambiguous=ambiguous)


def to_numbers(series: pd.Series, fmt: NumberFormat) -> pd.Series:
    """A text column as floats in ``fmt`` (NaN where a value is not a number), parsed once per
    distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    numbers = np.append(fmt.parse(uniques.tolist()), np.nan)
    return pd.Series(numbers[codes], index=series.index, name=series.name)
