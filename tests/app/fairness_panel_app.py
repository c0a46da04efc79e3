"""A tiny app that renders only the fairness panel, for AppTest: the demo workspace's
'Income over 50K' project and its runner-up v2 (trained on the Adult rows, which carry sex and race: the
drift retrain's production rows do not), as the signed-in user."""
import streamlit as st

from lifecycle import auth
from lifecycle.models import registry
from lifecycle.problem import projects
from ui import state
from ui.review import fairness as fairness_panel

workspace = state.workspace()
user = auth.get_user(workspace, st.session_state["user"])
project = projects.find_project(workspace, "Income over 50K")
version = registry.list_versions(workspace, project.id)[1]
fairness_panel.render(workspace, user, project, version)
