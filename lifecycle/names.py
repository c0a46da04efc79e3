"""Names at the boundary: no control characters in anything a person or a file names.

A CR/LF in a dataset name splits ``data list`` into lines that look like other rows, a NUL
breaks the browser protocol, an escape sequence repaints a terminal, and a bidi override shows
a name backwards. Names a file brings (its file name) are cleaned, since the person cannot
easily change them; names a person types are refused with a message saying which character.
"""
from __future__ import annotations

import re
import unicodedata

from lifecycle.errors import InputError

# C0 and C1 controls (CR, LF, tab, NUL, ESC, DEL, ...), line and paragraph separators, and the
# bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(value: str) -> str:
    """``value`` with every control character made a space, runs of spaces made one, trimmed."""
    return re.sub(r" {2,}", " ", _CONTROL.sub(" ", str(value))).strip()


def check(value: str, what: str) -> str:
    """``value`` trimmed, or InputError naming the first control character and where it is."""
    found = _CONTROL.search(str(value))
    if found:
        char = found.group()
        label = unicodedata.name(char, None) or {"\n": "line feed", "\r": "carriage return",
                                                  "\t": "tab", "\x00": "NUL"}.get(char, "control character")
        raise InputError(f"{what} {clean(value)!r} holds a control character ({label.lower()}, "
                         f"U+{ord(char):04X}) at position {found.start() + 1}.",
                         "Use letters, digits, spaces and punctuation only.")
    return str(value).strip()
