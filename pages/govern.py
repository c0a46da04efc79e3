"""Stage 8 — Govern: the checklist with its evidence, the reviewers' sign-off, the documents and the audit trail."""
from __future__ import annotations

import streamlit as st

from lifecycle.govern import checklist as checklist_module
from lifecycle.models import registry
from ui import state
from ui.frame import current_project, header, text
from ui.govern import audit as audit_panel
from ui.govern import checklist as checklist_panel
from ui.govern import documents as documents_panel

SECTIONS = ("Checklist and sign-off", "Documents", "Audit trail")

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Govern", project)
if project is None:
    st.info("Governance belongs to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
versions = registry.list_versions(workspace, project.id)
if not versions:
    st.info("No model version yet. Train runs and register the best one in Develop, then validate it.",
            icon=":material/science:")
    st.page_link("pages/develop.py", label="Go to Develop", icon=":material/build:")
    st.stop()

by_id = {v.id: v for v in versions}
version = by_id.get(state.model_version_id(), versions[-1])
checklist = checklist_module.version_checklist(workspace, version.id)
standing = checklist.record.approval()
counts = checklist.shown_counts()

st.markdown(f"### Model {text(version.label)}")
cards = st.columns(4)
cards[0].metric("Risk tier", project.risk_tier, help="Set in stage 1; it decides which items block and how many "
                                                     "reviewers must approve.")
cards[1].metric("Sign-off", f"{len(standing.approvals)} of {standing.needed}",
                delta="rejected" if standing.rejections else None, delta_color="inverse",
                help="Reviewers who approved (with or without conditions), of those the risk tier needs; none of "
                     "them trained or registered the version.")
cards[2].metric("Items with evidence", f"{counts['present']} of {len(checklist.items)}",
                help=f"{counts['attested']} attested by a reviewer, {counts['attestation']} still need a reviewer's "
                     f"statement, {counts['missing']} have no evidence.")
cards[3].metric("Blocking items missing", len(checklist.blocking_missing))
st.caption(f"Trained by {text(version.trained_by)}, registered by {text(version.created_by)}; {text(standing.progress)}. "
           "Pick another version in the sidebar.")

section = st.radio("Section", SECTIONS, horizontal=True, key="govern_section", label_visibility="collapsed")
if section == "Checklist and sign-off":
    checklist_panel.summary_table(checklist)
    st.markdown("##### Sign-off")
    checklist_panel.render(workspace, user, checklist)
    st.markdown("##### Sign-offs so far")
    checklist_panel.history(list(checklist.record.signoffs))
elif section == "Documents":
    documents_panel.render(workspace, user, project, version)
else:
    audit_panel.render(workspace, user, project)
