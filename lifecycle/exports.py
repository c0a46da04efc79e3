"""What every export of the app shares: a text cell that a spreadsheet would run as a formula is
written as plain text instead (OWASP "CSV injection")."""
from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return, so Excel, LibreOffice and Google Sheets show it instead of evaluating it.
    Anything else (numbers, empty values, other text) is returned unchanged: a number written by
    the CSV writer is never a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
