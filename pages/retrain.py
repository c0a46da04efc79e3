"""Stage 7 — Retrain: retraining by policy with its lineage, champion against challenger offline and on
live traffic (A/B tests), and the version diff."""
from __future__ import annotations

import streamlit as st

from lifecycle.deploy import promotion
from lifecycle.models import registry
from ui import state
from ui.frame import current_project, header
from ui.retrain import abtest as abtest_panel
from ui.retrain import compare as compare_panels
from ui.retrain import diff as diff_panel
from ui.retrain import policies as policy_panel
from ui.retrain import runs as runs_panel

SECTIONS = ("A/B test", "Retraining", "Compare", "Version diff")

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Retrain", project)
if project is None:
    st.info("Comparisons belong to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
runs_panel.start_due(workspace, project.id)  # policies due on an alert or a schedule start now (no daemon)
versions = registry.list_versions(workspace, project.id)
if not versions:
    st.info("No model version yet. Train runs and register the best one in Develop.", icon=":material/science:")
    st.page_link("pages/develop.py", label="Go to Develop", icon=":material/build:")
    st.stop()

manifest = promotion.manifest_for(workspace, project.id)
by_id = {v.id: v for v in versions}
production = by_id.get(max(manifest.versions, key=lambda v: v.share).version_id) if manifest and manifest.versions \
    else None
section = st.radio("Section", SECTIONS, horizontal=True, key="retrain_section", label_visibility="collapsed")
if section == "A/B test":
    abtest_panel.render(workspace, user, project, production)
elif section == "Retraining":
    policy_panel.render(workspace, user, project, production)
    runs_panel.progress(workspace, user, project.id)
    runs_panel.render(workspace, project)
elif section == "Compare":
    compare_panels.offline(workspace, project, versions, production)
    st.divider()
    compare_panels.shadow(workspace, project)
elif section == "Version diff":
    diff_panel.render(workspace, versions, production)
