"""Stage 9 — Retire: decommission a version, clean data by retention rules, hand the model over."""
from __future__ import annotations

import streamlit as st

from lifecycle import retire
from lifecycle.deploy import promotion
from lifecycle.models import registry
from ui import state
from ui.frame import current_project, header
from ui.retire import archive as archive_panel
from ui.retire import cleanup as cleanup_panel
from ui.retire import handover as handover_panel
from ui.retire import retirement as retirement_panel

SECTIONS = ("Decommission", "Archive", "Data clean-up", "Hand-over report")

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Retire", project)
if project is None:
    st.info("Retirement belongs to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
versions = registry.list_versions(workspace, project.id)
retirements = retire.retirements(workspace, project.id)
cleanups = retire.cleanups(workspace, project.id)
retirement_panel.headline(promotion.manifest_for(workspace, project.id), versions, retirements, cleanups)

section = st.radio("Section", SECTIONS, horizontal=True, key="retire_section", label_visibility="collapsed")
if section == "Decommission":
    retirement_panel.form(workspace, user, project)
elif section == "Archive":
    archive_panel.render(workspace, project, retirements)
elif section == "Data clean-up":
    cleanup_panel.render(workspace, user, project, cleanups)
else:
    handover_panel.render(workspace, user, project)
