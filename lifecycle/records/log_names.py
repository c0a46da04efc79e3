"""The prediction log's record layout: how a log row names a model input's own typed column,
shared by the service that writes the log (``deploy.prediction_log``; a serving bundle vendors
this module, which imports nothing) and the queries that read it (``store``).

Each input the model's schema names gets a Parquet column ``input:<name>`` beside the log's own
columns (``request_id``, ``time``, ``inputs``, …, none of which starts with ``input:``, so the
two never clash). DuckDB matches column names without regard to case, even quoted, so the name is
written in a form where two different names never read as one: printable ASCII other than
capitals and ``%`` is kept as it is; every other character (capitals, ``%``, accents, control
characters) becomes ``%`` and its code point in six lowercase hex digits (``Age`` ->
``input:%000041ge``). The mapping is one-to-one and ``input_name`` reverses it. SQL must still
quote the column (``quoted``): it holds ``:`` and may hold spaces or quotes.
"""
from __future__ import annotations

PREFIX = "input:"
_KEPT = frozenset(chr(c) for c in range(0x20, 0x7F)) - frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ%")


def column_name(name: str) -> str:
    """The typed column of input ``name`` (any text) in a log segment."""
    return PREFIX + "".join(c if c in _KEPT else f"%{ord(c):06x}" for c in str(name))


def input_name(column: str) -> str | None:
    """The input a typed column holds, or None when ``column`` is not one (one of the log's own,
    or a name this module never writes)."""
    if not column.startswith(PREFIX):
        return None
    text, out, i = column[len(PREFIX):], [], 0
    while i < len(text):
        if text[i] == "%":
            code = text[i + 1:i + 7]
            if len(code) != 6 or any(c not in "0123456789abcdef" for c in code):
                return None
            if int(code, 16) > 0x10FFFF:
                return None
            out.append(chr(int(code, 16)))
            i += 7
        elif text[i] in _KEPT:
            out.append(text[i])
            i += 1
        else:
            return None
    return "".join(out)


def quoted(column: str) -> str:
    """``column`` as a quoted SQL identifier (double quotes doubled)."""
    return '"' + column.replace('"', '""') + '"'
