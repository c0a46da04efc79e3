"""The Govern page's documents: the model card (Markdown and HTML with the evidence charts) and the
technical documentation pack (Annex IV headings, zipped with its checksum manifest), prepared on
request and kept for download until the page is left."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lifecycle.govern import annex_iv
from lifecycle.govern.card import model_card
from lifecycle.records import ModelVersion, Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors


@dataclass(frozen=True)
class Prepared:
    card_md: str
    card_html: str
    pack: bytes


def _stem(project: Project, version: ModelVersion) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in project.name)[:60] or "project"
    return f"{safe}-v{version.version}"


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.caption("The model card follows the Hugging Face sections (details, uses, bias, risks and limitations, "
               "training, evaluation, examination) with the checklist and the sign-offs. The documentation pack "
               "follows the nine headings of the EU AI Act's Annex IV, with the card, the checklist, the sign-offs, "
               "the version's audit excerpt and a SHA-256 manifest. Both are written from the record as it is now.")
    if st.button("Prepare the documents", type="primary", icon=":material/description:", key="govern_prepare"):
        with reported_errors(), st.spinner("Writing the model card and the documentation pack…"):
            prepared = Prepared(card_md=model_card(workspace, version.id, "md", generated_by=user.name),
                                card_html=model_card(workspace, version.id, "html", generated_by=user.name),
                                pack=annex_iv.docs_zip(workspace, user, version.id))
            state.remember(state.GOVERN_DOCUMENTS, prepared, project_id=project.id, item=version.id)
    prepared = state.recall(state.GOVERN_DOCUMENTS, project_id=project.id, item=version.id)
    if prepared is None:
        return
    stem = _stem(project, version)
    left, middle, right = st.columns(3)
    left.download_button("Model card (Markdown)", prepared.card_md, file_name=f"model_card-{stem}.md",
                         mime="text/markdown", icon=":material/download:", key="govern_card_md")
    middle.download_button("Model card (HTML)", prepared.card_html, file_name=f"model_card-{stem}.html",
                           mime="text/html", icon=":material/download:", key="govern_card_html",
                           help="One file with the evidence charts; it opens offline.")
    right.download_button("Documentation pack (zip)", prepared.pack, file_name=f"technical_documentation-{stem}.zip",
                          mime="application/zip", icon=":material/download:", key="govern_pack")
    with st.expander("The model card (Markdown source)"):
        st.code(prepared.card_md, language="markdown")
