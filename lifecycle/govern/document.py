"""A small document model for the governance documents (the model card, the Annex IV pack) and its
two renderings: Markdown through ``skops.card`` and a self-contained HTML page.

Every string in a document is shown literally: the Markdown rendering backslash-escapes each ASCII
punctuation character (CommonMark lets any of them be escaped, so no emphasis, link, image, raw
HTML, entity or table bar survives) and folds line breaks; the HTML rendering escapes ``& < > " '``.
A project named ``<script>**x**|`` reads as those characters in both.

Why skops is used for the Markdown and not for the rest: ``skops.card.Card`` gives the section tree
(``"Parent/Child"`` keys), the heading levels, the metrics table (``add_metrics``) and the table of
contents; but its ``add_table`` titles a nested table with the whole key path ("Evaluation/Metrics")
and writes cells without escaping (a ``|`` in a cell splits the column, ``<script>`` stays raw), its
plots must be image files (plotly needs kaleido, which is not installed, to write one), and it has
no HTML output. So tables are written here, escaped, and handed to ``Card.add`` as section text;
the charts are drawn in the HTML rendering only, with plotly.js inlined once so the page opens offline.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

_MARKDOWN_SPECIAL = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def md_literal(value: object) -> str:
    """``value`` as Markdown text that renders exactly as written, on one line."""
    text = " ".join(str(value).split())
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in text)


@dataclass(frozen=True)
class Text:
    """A paragraph."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table: header cells and rows of cells (all text)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Code:
    """A block shown verbatim (a command, a request body)."""

    text: str
    language: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart drawn in the HTML rendering (``figures[name]``); the Markdown says where it is."""

    name: str
    title: str


@dataclass
class Section:
    """A titled section: its blocks, then its subsections."""

    title: str
    blocks: list = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)

    def add(self, *blocks) -> "Section":
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    def sub(self, title: str, *blocks) -> "Section":
        child = Section(title).add(*blocks)
        self.subsections.append(child)
        return child


@dataclass
class Document:
    """A titled document of sections."""

    title: str
    sections: list[Section] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)  # shown by skops' metrics table in Markdown
    metrics_section: tuple[str, ...] = ()  # the section path the metrics table goes under
    metrics_description: str = ""

    def section(self, title: str, *blocks) -> Section:
        made = Section(title).add(*blocks)
        self.sections.append(made)
        return made


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``, so the text cannot close it."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _md_block(block) -> str:
    if isinstance(block, Text):
        return md_literal(block.text)
    if isinstance(block, Table):
        lines = ["| " + " | ".join(md_literal(h) for h in block.headers) + " |",
                 "|" + "---|" * len(block.headers)]
        lines += ["| " + " | ".join(md_literal(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Code):
        fence = _fence(block.text)
        return f"{fence}{block.language}\n{block.text}\n{fence}"
    if isinstance(block, Chart):
        return md_literal(f"Chart: {block.title} (drawn in the HTML version of this document).")
    raise TypeError(f"unknown block {block!r}")


def _key(path: tuple[str, ...]) -> str:
    """A skops section key: titles joined by '/', each title escaped (md_literal writes '/' as '\\/',
    which is also skops' escape for a slash inside a title)."""
    return "/".join(md_literal(title) for title in path)


def to_markdown(document: Document) -> str:
    """The document as Markdown, built with ``skops.card.Card`` (sections, metrics table)."""
    from skops.card import Card  # imported on use: documents are written rarely

    card = Card(None, template=None, model_diagram=False, trusted=None)

    def add(section: Section, parent: tuple[str, ...]) -> None:
        path = (*parent, section.title)
        card.add(**{_key(path): "\n\n".join(_md_block(b) for b in section.blocks)})
        for child in section.subsections:
            add(child, path)

    root = Section(document.title)
    card.add(**{_key((root.title,)): ""})
    for section in document.sections:
        add(section, (root.title,))
    if document.metrics:
        card.add_metrics(section=_key((root.title, *document.metrics_section)),
                         description=md_literal(document.metrics_description),
                         **{md_literal(name): md_literal(value) for name, value in document.metrics.items()})
    contents = "**Contents**\n\n" + card.get_toc()
    card.add(**{_key((root.title,)): contents})
    return card.render().lstrip("\n") + "\n"


_STYLE = """
body{font-family:Inter,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2328;line-height:1.5}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto}nav li{margin:.1rem 0}.chart{margin:1rem 0}
"""


def _html_block(block, figures: dict, first: list[bool]) -> str:
    e = html.escape
    if isinstance(block, Text):
        return f"<p>{e(block.text)}</p>"
    if isinstance(block, Table):
        head = "".join(f"<th>{e(h)}</th>" for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Code):
        return f"<pre><code>{e(block.text)}</code></pre>"
    if isinstance(block, Chart):
        figure = figures.get(block.name)
        if figure is None:
            return f"<p><em>{e(block.title)}: no data to chart.</em></p>"
        # plotly.js goes inline once, with the first chart: the file needs no network.
        drawn = figure.to_html(full_html=False, include_plotlyjs=first[0])
        first[0] = False
        return f"<div class='chart'>{drawn}</div>"
    raise TypeError(f"unknown block {block!r}")


def to_html(document: Document, figures: dict | None = None) -> str:
    """The document as one HTML page; ``figures`` maps chart names to plotly figures."""
    e = html.escape
    figures = figures or {}
    first = [True]
    anchors: list[tuple[int, str, str]] = []
    body: list[str] = []

    def walk(section: Section, path: tuple[str, ...], number: str) -> None:
        level = min(len(path) + 1, 6)
        anchors.append((len(path), f"s{number}", section.title))
        body.append(f"<h{level} id='s{number}'>{e(section.title)}</h{level}>")
        body.extend(_html_block(b, figures, first) for b in section.blocks)
        if document.metrics and path == document.metrics_section:
            body.append(_html_block(Text(document.metrics_description), figures, first))
            body.append(_html_block(Table(("Metric", "Value"), tuple(document.metrics.items())), figures, first))
        for position, child in enumerate(section.subsections, start=1):
            walk(child, (*path, child.title), f"{number}-{position}")

    for position, section in enumerate(document.sections, start=1):
        walk(section, (section.title,), str(position))
    toc = "".join(f"<li style='margin-left:{(depth - 1) * 1.2}rem'><a href='#{anchor}'>{e(title)}</a></li>"
                  for depth, anchor, title in anchors)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{e(document.title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n<h1>{e(document.title)}</h1>\n<nav><ul>{toc}</ul></nav>\n"
            + "\n".join(body) + "\n</body></html>\n")
