"""The hand-over report as Markdown or as one self-contained HTML page.

Both are written from the same blocks (``blocks``), so they say the same thing. A block's text is
made of fragments: the report's own words, and ``Typed`` fragments for whatever came from a user or a
file (names, reasons, labels, file names). In Markdown a ``Typed`` fragment is escaped with
``lifecycle.literal`` (it shows as typed, never as a link, an image or markup) and the report's own
words stay readable; in HTML everything is escaped with ``html.escape``. The HTML page loads nothing.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from lifecycle.literal import literal
from lifecycle.retire import handover_sections as sections
from lifecycle.retire.handover import Handover

_STYLE = ("body{font-family:Inter,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;"
          "color:#1f2328}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #d0d7de;"
          "padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}p.empty{color:#57606a}")


class Typed(str):
    """Text that came from a user or a file: escaped wherever it lands."""


Fragment = str | tuple  # the report's own words, a Typed, or a tuple of fragments read in order


@dataclass(frozen=True, kw_only=True)
class Block:
    """One section: a title, sentences, and a table, each made of fragments (escaped when rendered)."""

    title: Fragment
    text: tuple[Fragment, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Fragment, ...], ...] = ()
    empty: str = ""  # said instead of the table when it has no rows


def _t(value) -> Typed:
    return Typed(" ".join(str(value).split()))  # one line: a line break would start a new Markdown block


def markdown_of(fragment: Fragment) -> str:
    """``fragment`` as Markdown: the report's own words as written, ``Typed`` text escaped with ``literal``."""
    if isinstance(fragment, tuple):
        return "".join(markdown_of(f) for f in fragment)
    return literal(fragment) if isinstance(fragment, Typed) else str(fragment)


def text_of(fragment: Fragment) -> str:
    """``fragment`` as plain text (for HTML after ``html.escape``, or a table cell that shows text as it is)."""
    return "".join(text_of(f) for f in fragment) if isinstance(fragment, tuple) else str(fragment)


def _when(value) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}" if hasattr(value, "strftime") else str(value)[:16].replace("T", " ")


def _number(value) -> str:
    return "—" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _estimate(triple) -> str:
    value, low, high = triple
    interval = "" if low is None or high is None else f" [{_number(low)}, {_number(high)}]"
    return _number(value) + interval


def blocks(report: Handover) -> list[Block]:
    """The report's sections in reading order."""
    project = report.project
    about = ((f"Made {_when(report.made_at)} UTC by ", _t(report.made_by), f". In production now: {report.in_production}."),
             ("Task: ", project.task, "; target: ", _t(project.target),
              ("; positive class: ", _t(project.positive_class)) if project.positive_class else "", "."),
             ("Owner: ", _t(project.owner or "—"), "; risk tier: ", _t(project.risk_tier or "—"), "."),
             ("Problem: ", _t(project.statement or "—")), ("Intended use: ", _t(project.intended_use or "—")),
             ("Out of scope: ", _t(project.out_of_scope or "—")),
             ("Objectives: ", _t("; ".join(report.objectives) or "none set"), "."))
    retired = {r.version_id: _when(r.retired_at) for r in report.retirements}
    names = _metric_names(report)
    out = [
        Block(title=("Hand-over report: ", _t(project.name)), text=about),
        Block(title="Model versions", columns=("Version", "State now", "Trained by", "Registered", "Approved by",
                                               "Retired"),
              rows=tuple((f"v{v.version} (#{v.id})", str(v.state), _t(v.trained_by), _when(v.created_at),
                          _t(v.approved_by or "—"), retired.get(v.id, "—")) for v in report.versions),
              empty="No model version was registered."),
        Block(title="States over time", columns=("When (UTC)", "Version", "Became", "By", "Reason"),
              rows=tuple((_when(c.at), f"v{c.version}", c.to_state, _t(c.actor), _t(c.reason or "—"))
                         for c in report.changes),
              empty="No state change on record."),
        Block(title="Metrics over time",
              text=("Held-out test metrics of each version's latest validation, with 95% bootstrap intervals, in "
                    "the order the versions were registered.",) if report.metrics else (),
              columns=("Version", "Validated", "Verdict", *names),
              rows=tuple((f"v{m.version}", _when(m.validated_at), "pass" if m.passed else "fail",
                          *(_estimate(m.metrics[n]) if n in m.metrics else "—" for n in names)) for m in report.metrics),
              empty="No version was validated."),
        Block(title="Deployments", columns=("Version", "Role", "From", "Until", "Started by", "Why", "Why it ended"),
              rows=tuple((f"v{d.version}", d.role, _when(d.started_at), _when(d.ended_at) if d.ended_at else "serving",
                          _t(d.started_by), _t(d.reason), _t(d.end_reason or "—")) for d in report.deployments),
              empty="Nothing was ever deployed."),
    ]
    for name, title in sections.TITLES.items():
        out.append(Block(title=title, columns=("When (UTC)", "What", "By", "Source"),
                         rows=tuple((_when(e.at), _t(e.what), _t(e.actor or "—"), _t(e.source or "—"))
                                    for e in report.sections.get(name, ())),
                         empty=sections.NONE_ON_RECORD))
    out += [
        Block(title="Retirements", columns=("Version", "Retired (UTC)", "By", "From", "Reason", "Replacement",
                                            "Archive", "Archive check"),
              rows=tuple((f"v{r.version} (#{r.version_id})", _when(r.retired_at), _t(r.retired_by), r.previous_state,
                          _t(r.reason), r.replacement, (_t(r.archive_path), f" (manifest SHA-256 {r.archive_sha256})"),
                          "intact" if r.archive_ok else _t("; ".join(r.archive_problems))) for r in report.retirements),
              empty="No version was retired."),
        Block(title="Data", columns=("Dataset version", "Rows", "Content SHA-256", "Status", "Why"),
              rows=tuple((_t(d.label), f"{d.rows:,}", d.content_hash, d.status, _t(d.why)) for d in report.datasets),
              empty="No dataset version."),
        Block(title="Clean-ups", columns=("Clean-up", "When (UTC)", "By", "Deleted", "Rows", "Bytes", "Digest"),
              rows=tuple((f"#{c.id}", _when(c.created_at), _t(c.created_by),
                          _t("; ".join(f"{i.name} (SHA-256 {i.sha256})" for i in c.items)), f"{c.rows:,}",
                          f"{c.bytes:,}", c.digest) for c in report.cleanups),
              empty="No clean-up was run."),
        Block(title="For whoever inherits this model", text=_advice(report)),
    ]
    return out


def _metric_names(report: Handover) -> tuple[str, ...]:
    names: list[str] = []
    for metrics in report.metrics:
        for name in (metrics.primary_metric, *metrics.metrics):
            if name and name not in names and any(name in m.metrics for m in report.metrics):
                names.append(name)
    return tuple(names)


def _advice(report: Handover) -> tuple[str, ...]:
    lines = [f"What serves now: {report.in_production}. The Deploy page (or `deployment --project`) shows the "
             "manifest the scoring service reads."]
    if report.retirements:
        lines.append("Each retired version's archive (artifact, evidence, card, audit excerpt) sits in the workspace's "
                      ".files folder at the path above; `sha256sum -c CHECKSUMS.sha256` inside it, or "
                      "`python -m lifecycle verify-archive VERSION_ID`, proves nothing in it changed.")
    lines.append("The whole audit trail is hash-chained: `python -m lifecycle audit verify` checks it.")
    return tuple(lines)


def to_markdown(report: Handover) -> str:
    """The report as Markdown: the report's own words as written, whatever came from a user or a file
    escaped with ``literal``."""
    parts = []
    for number, block in enumerate(blocks(report)):
        parts.append(("# " if number == 0 else "## ") + markdown_of(block.title))
        parts += [markdown_of(sentence) for sentence in block.text]
        if block.columns and block.rows:
            table = ["| " + " | ".join(block.columns) + " |", "|" + "---|" * len(block.columns)]
            table += ["| " + " | ".join(markdown_of(cell).replace("|", "&#124;") for cell in row) + " |"
                      for row in block.rows]
            parts.append("\n".join(table))
        elif block.columns:
            parts.append(f"_{block.empty}_")
    return "\n\n".join(parts) + "\n"


def to_html(report: Handover) -> str:
    """The report as one HTML page (no script, nothing loaded); every piece of text is escaped."""
    e = html.escape
    body = []
    for number, block in enumerate(blocks(report)):
        level = 1 if number == 0 else 2
        body.append(f"<h{level}>{e(text_of(block.title))}</h{level}>")
        body += [f"<p>{e(text_of(sentence))}</p>" for sentence in block.text]
        if block.columns and block.rows:
            head = "".join(f"<th>{e(c)}</th>" for c in block.columns)
            rows = "".join("<tr>" + "".join(f"<td>{e(text_of(cell))}</td>" for cell in row) + "</tr>"
                           for row in block.rows)
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        elif block.columns:
            body.append(f"<p class='empty'>{e(block.empty)}</p>")
    title = e(f"Hand-over report: {report.project.name}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
