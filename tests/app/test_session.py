"""Session state: values kept per project, and nothing left behind by signing out."""
from __future__ import annotations

from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, no_exceptions, signed_in


def _sign_out_script():
    import streamlit as st

    from ui import state

    st.write(sorted(st.session_state.keys()))
    if st.button("Sign out", key="sign_out"):
        state.sign_out()
        st.rerun()


def test_signing_out_clears_the_whole_session():
    # The sidebar's Sign out button calls state.sign_out; AppTest renders the entry script's
    # sidebar on the first run only, so the call is driven through a one-button script.
    app = AppTest.from_function(_sign_out_script)
    for key, value in {"user": "ana", "project_id": 1, "dataset_in_focus:1": 2, "develop_section": "Register model",
                       "model_version_id": 1}.items():
        app.session_state[key] = value
    app.run()
    assert "dataset_in_focus:1" in app.session_state
    app.button(key="sign_out").click().run()
    no_exceptions(app)
    assert [k for k in ("user", "project_id", "dataset_in_focus:1", "develop_section", "model_version_id")
            if k in app.session_state] == []


def test_the_dataset_in_focus_is_kept_per_project(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    credit = projects.find_project(workspace, "German credit risk")
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.switch_page("pages/data.py").run()
    income_focus = app.session_state[f"dataset_in_focus:{income.id}"]
    app.session_state["project_id"] = credit.id
    app.run()
    no_exceptions(app)
    assert app.session_state[f"dataset_in_focus:{credit.id}"] != income_focus
    assert app.session_state[f"dataset_in_focus:{income.id}"] == income_focus
