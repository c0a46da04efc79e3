"""Stage 5 — Deploy: promotion through gates, what serves now, rollback and the shadow."""
from __future__ import annotations

import streamlit as st

from lifecycle.deploy import promotion
from lifecycle.models import registry
from ui import state
from ui.deploy import batch as batch_panel
from ui.deploy import promotion as promotion_panels
from ui.deploy import service as service_panel
from ui.frame import current_project, header, reported_errors

SECTIONS = ("Promotion", "Scoring service", "Batch scoring")

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Deploy", project)
if project is None:
    st.info("Deployments belong to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
versions = registry.list_versions(workspace, project.id)
if not versions:
    st.info("No model version yet. Train runs and register the best one in Develop, then validate it.", icon=":material/science:")
    st.page_link("pages/develop.py", label="Go to Develop", icon=":material/build:")
    st.stop()

with reported_errors():
    promotion.sync_manifest(workspace, project.id, user.name)  # repairs a manifest an interrupted move left behind
manifest = promotion.manifest_for(workspace, project.id)
promotion_panels.serving(manifest)

st.markdown("##### Gates")
st.caption("Staging needs a validated version; production needs the reviewers' sign-off (Govern, four eyes). "
           "One version serves production at a time: promoting another moves the current one back to staging.")
promotion_panels.gate_table(versions)

by_id = {v.id: v for v in versions}
focus = state.model_version_id()
version = by_id.get(focus, versions[-1])
# One section at a time, as on Develop and Validate: only what the user looks at is built.
section = st.radio("Section", SECTIONS, horizontal=True, key="deploy_section", label_visibility="collapsed")
if section == "Promotion":
    promotion_panels.version_moves(workspace, user, version)
    st.divider()
    left, right = st.columns(2)
    with left:
        promotion_panels.rollback(workspace, user, project)
    with right:
        promotion_panels.shadow(workspace, user, project, manifest)
elif section == "Scoring service":
    service_panel.render(workspace, user, project)
elif section == "Batch scoring":
    batch_panel.render(workspace, user, project, version)
