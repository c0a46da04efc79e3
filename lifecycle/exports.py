"""Files the app hands to a user to open elsewhere: every CSV is safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` phones home, ``+cmd|...`` ran
commands in older Excel). Following OWASP's rule for CSV injection, such a text cell (and such a
column name) is written with a leading apostrophe, which spreadsheets show as text; numbers are
numbers and stay as they are. Every CSV the app produces goes through ``csv_bytes``; the table
toolbar's own download is turned off (``client.disableDataExport`` in ``.streamlit/config.toml``).
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with an apostrophe; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(data: pa.Table | pd.DataFrame) -> bytes:
    """``data`` as UTF-8 CSV (header row, no index) with every formula-like text cell neutralised."""
    frame = data.to_pandas() if isinstance(data, pa.Table) else data.copy()
    frame.columns = [neutralise(str(name)) for name in frame.columns]
    for name in frame.columns:
        column = frame[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
                or pd.api.types.is_bool_dtype(column)):
            frame[name] = column.map(neutralise, na_action="ignore")
    # CRLF (RFC 4180): a cell holding a CR or LF is then always quoted
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
