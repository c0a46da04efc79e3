"""Develop page: bring a model trained elsewhere, as a skops file (pickle and joblib are refused unread)."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth
from lifecycle.models import imports
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors, text


def import_panel(workspace: Workspace, project: Project, user: User) -> None:
    """An upload that registers a skops file as a candidate version, through ``models.imports``."""
    cannot = auth.why_not(user, auth.Permission.TRAIN)
    with st.expander("Import a model trained elsewhere (skops file)", icon=":material/upload_file:"):
        st.caption("Only skops files (`skops.io.dump(model, 'model.skops')`) whose types are on Lifecycle's allow-list "
                   "are accepted; a pickle or joblib file is refused without being loaded, because loading one runs "
                   "whatever code it names. The model must take the raw columns of the project's latest split.")
        uploaded = st.file_uploader("Model file", key="model_import_file", disabled=cannot is not None)
        if uploaded is not None and st.button("Import as candidate", key="model_import_go",
                                              disabled=cannot is not None):
            with reported_errors(), st.spinner("Checking the file's types and scoring a few rows…"):
                version = imports.import_bytes(workspace, user, project.id, uploaded.getvalue(), uploaded.name)
                state.set_model_version(version.id)
                state.remember(state.REGISTER_MESSAGE, f"Imported {text(uploaded.name)} as model "
                                                       f"{text(version.label)}.", project_id=project.id)
                st.rerun()
        if cannot:
            st.caption(f":material/lock: {text(cannot)}")
