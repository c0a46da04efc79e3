"""The Govern page's documents: the model card (Markdown, and HTML with the evidence charts) and the
technical documentation pack (Annex IV headings, zipped with its checksum manifest), each written
from the record when its download is clicked (deferred: nothing is built for a page view)."""
from __future__ import annotations

import re

import streamlit as st

from lifecycle.govern import annex_iv
from lifecycle.govern.card import model_card
from lifecycle.records import ModelVersion, Project, User
from lifecycle.workspace import Workspace
from ui.frame import reported_errors


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a CommonMark backslash escape of an ASCII punctuation mark


def shown(markdown: str) -> str:
    """The card's Markdown for ``st.markdown``. The file escapes every punctuation mark with a
    backslash (``0\\.93``), which any Markdown viewer reads as the mark; Streamlit would read it so too,
    then still expand its own short codes (``:smile:``, ``:material/x:``) in the unescaped text. So each
    escape becomes the mark's numeric reference, as ``lifecycle.literal`` writes user text for the page;
    fenced code blocks are shown as they are."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        lines.append(line if fenced or line.startswith("```") else _ESCAPE.sub(lambda m: f"&#{ord(m.group(1))};", line))
    return "\n".join(lines)


def _stem(project: Project, version: ModelVersion) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in project.name)[:60] or "project"
    return f"{safe}-v{version.version}"


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.caption("The model card follows the Hugging Face sections (details, uses, bias, risks and limitations, "
               "training, evaluation, examination) with the checklist and the sign-offs. The documentation pack "
               "follows the nine headings of the EU AI Act's Annex IV, with both cards, the checklist, the sign-offs, "
               "the version's audit excerpt and a SHA-256 manifest. Each is written from the record when you click; "
               "writing the pack is on the audit trail.")
    stem = _stem(project, version)
    left, middle, right = st.columns(3)
    left.download_button("Model card (Markdown)", lambda: model_card(workspace, version.id, "md", generated_by=user.name),
                         file_name=f"model_card-{stem}.md", mime="text/markdown", icon=":material/download:",
                         key="govern_card_md")
    middle.download_button("Model card (HTML)", lambda: model_card(workspace, version.id, "html", generated_by=user.name),
                           file_name=f"model_card-{stem}.html", mime="text/html", icon=":material/download:",
                           key="govern_card_html", help="One file with the evidence charts; it opens offline.")
    right.download_button("Documentation pack (zip)", lambda: annex_iv.docs_zip(workspace, user, version.id),
                          file_name=f"technical_documentation-{stem}.zip", mime="application/zip",
                          icon=":material/download:", key="govern_pack")
    if st.toggle("Show the model card here", key="govern_show_card"):
        with reported_errors(), st.container(border=True):
            st.markdown(shown(model_card(workspace, version.id, "md", generated_by=user.name)))
