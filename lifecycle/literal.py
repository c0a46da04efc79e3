"""The one escaping function: text a user typed or a file named, shown literally wherever it lands.

Streamlit renders Markdown (GitHub-flavoured, with raw URLs auto-linked, ``:colour[...]``
directives, ``$`` maths and emoji short codes) in bodies, captions, alerts, status and toast
messages and in every widget label and help text; plotly renders a subset of HTML in titles,
axis labels, ticks, legends and hover text. Both decode numeric character references *after*
they have found their markup, so writing every character that could be markup as ``&#NN;``
makes it plain text in both: ``**b**`` stays two stars and a b, ``[x](javascript:...)`` is no
link, ``![t](http://host/p.png)`` fetches nothing, ``https://example.com`` is not linked.

Use it for user data inside Markdown or a chart, and nowhere else: widgets that show plain text
(select-box options, table cells, code blocks, text inputs) take the raw value.
"""
from __future__ import annotations

# Everything but letters, digits and the space: every ASCII punctuation mark (all of them are
# markup somewhere: CommonMark, GFM autolinks and tables, Streamlit directives, HTML entities),
# and control characters (a line break would otherwise start a new Markdown block).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")


def literal(value: object) -> str:
    """``value`` as text that Markdown and plotly show exactly as written."""
    return "".join(char if char in _PLAIN or ord(char) > 0x9F else f"&#{ord(char)};" for char in str(value))
