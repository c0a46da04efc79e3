"""A tiny app that renders only the Deploy page's batch-scoring panel, for AppTest: the project
'Churn' of the workspace and its newest model version, as the signed-in user."""
import streamlit as st

from lifecycle import auth
from lifecycle.models import registry
from lifecycle.problem import projects
from ui import state
from ui.deploy import batch as batch_panel

workspace = state.workspace()
user = auth.get_user(workspace, st.session_state["user"])
project = projects.find_project(workspace, "Churn")
version = registry.list_versions(workspace, project.id)[-1]
batch_panel.render(workspace, user, project, version)
