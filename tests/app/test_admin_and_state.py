"""The Admin page, and state that must neither leak nor reset (issue 9, defect 7)."""
from __future__ import annotations

from lifecycle import auth, jobs
from lifecycle.access import users
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _button(app, label):
    return next(b for b in app.button if b.label == label)


def test_admin_adds_a_user_and_disables_them(demo_app):
    workspace = open_workspace(demo_app)
    app = signed_in("admin")
    app.switch_page("pages/admin.py").run()
    no_exceptions(app)
    assert app.title[0].value == "Admin"
    table = app.dataframe[0].value
    assert set(table["User"]) == {"admin", "ana", "rey", "val", "sam"}
    assert {"Role", "Status", "Last sign-in (UTC)"} <= set(table.columns)
    app.text_input(key="add_user_name").input("olga")
    app.selectbox(key="add_user_role").select("reviewer")
    app.text_input(key="add_user_password").input("olga-password")
    _button(app, "Add user").click().run()
    no_exceptions(app)
    assert auth.get_user(workspace, "olga").role == "reviewer"
    app.selectbox(key="change_user_name").select("olga").run()
    _button(app, "Disable olga").click().run()
    no_exceptions(app)
    assert auth.get_user(workspace, "olga").active is False


def test_the_last_admin_cannot_disable_themself_on_the_page(demo_app):
    workspace = open_workspace(demo_app)
    app = signed_in("admin")
    app.switch_page("pages/admin.py").run()
    app.selectbox(key="change_user_name").select("admin").run()
    _button(app, "Disable admin").click().run()
    no_exceptions(app)
    assert "last active admin" in app.error[0].value
    assert auth.get_user(workspace, "admin").active


def test_a_stakeholder_sees_only_their_account(demo_app):
    app = signed_in("sam")
    app.switch_page("pages/admin.py").run()
    no_exceptions(app)
    assert app.title[0].value == "Account"
    assert not [b for b in app.button if b.label.startswith("Disable")]
    app.text_input(key="own_current").input("lifecycle-demo")
    app.text_input(key="own_new").input("a much longer one")
    app.text_input(key="own_again").input("a much longer one")
    _button(app, "Change my password").click().run()
    no_exceptions(app)
    assert auth.authenticate(open_workspace(demo_app), "sam", "a much longer one") is not None


def test_an_archived_project_leaves_home(demo_app):
    workspace = open_workspace(demo_app)
    credit = projects.find_project(workspace, "German credit risk")
    projects.set_archived(workspace, auth.get_user(workspace, "admin"), credit.id, True)
    app = signed_in("sam")
    no_exceptions(app)
    assert list(app.dataframe[0].value["Project"]) == ["Income over 50K"]


def test_the_header_shows_no_project_while_the_new_project_form_is_open(demo_app):
    app = signed_in("ana")
    app.switch_page("pages/problem.py").run()
    assert any("Income over 50K" in m.value for m in app.markdown if m.value.startswith("Project"))
    _button(app, "New project").click().run()
    no_exceptions(app)
    assert app.subheader[0].value == "New project"
    assert not [m for m in app.markdown if m.value.startswith("Project **")]


def test_a_new_session_opens_the_users_last_project(demo_app):
    # AppTest runs the entry script (and its sidebar) on a session's first run only: later runs execute
    # the page file directly, because the repository has a pages/ folder. Each session here is fresh.
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP
    workspace = open_workspace(demo_app)
    credit = projects.find_project(workspace, "German credit risk")
    first = AppTest.from_file(str(APP), default_timeout=60)
    first.session_state["user"] = "ana"
    first.session_state["project_id"] = credit.id
    first.run()
    assert users.last_project(workspace, auth.get_user(workspace, "ana")) == credit.id
    again = signed_in("ana")  # signing in again: a fresh session
    assert again.session_state["project_id"] == credit.id


def _pages_script():
    import streamlit as st

    from ui import state
    state.entered_page(st.radio("Page", ["data", "home"], key="page_choice"))
    st.write(state.recall(state.INGEST_MESSAGE, project_id=1) or "nothing to say")


def test_what_the_last_action_said_is_forgotten_on_another_page():
    from streamlit.testing.v1 import AppTest
    app = AppTest.from_function(_pages_script)
    app.session_state["page"] = "data"
    app.session_state["ingest_message:1"] = "Ingested adult v9"
    app.session_state["dataset_in_focus:1"] = 3
    app.run()
    assert app.markdown[0].value == "Ingested adult v9"  # reruns of the same page keep it
    app.run()
    assert app.markdown[0].value == "Ingested adult v9"
    app.radio(key="page_choice").set_value("home").run()
    assert app.markdown[0].value == "nothing to say"
    assert app.session_state["dataset_in_focus:1"] == 3  # only what the last action said is forgotten


def test_what_the_last_action_said_can_be_dismissed(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.session_state[f"ingest_message:{income.id}"] = "Ingested adult v9"
    app.switch_page("pages/data.py").run()
    assert any("Ingested adult v9" in s.value for s in app.success)
    _button(app, "Dismiss").click().run()
    no_exceptions(app)
    assert not any("Ingested adult v9" in s.value for s in app.success)


def test_a_failed_job_box_can_be_dismissed(demo_app, monkeypatch):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")

    def broken(**_):
        raise RuntimeError("the search broke")

    job = jobs.start("random search of knn", broken)
    job.join(10)
    monkeypatch.setattr(jobs, "recent_for", lambda ws, pid: [job])
    app = signed_in("ana")
    app.session_state["project_id"] = income.id
    app.switch_page("pages/develop.py").run()
    assert any("random search of knn failed" in e.value for e in app.error)
    _button(app, "Dismiss").click().run()
    no_exceptions(app)
    assert not any("random search of knn failed" in e.value for e in app.error)
