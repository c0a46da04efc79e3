"""The Explain panel on the demo's registered Income model, rendered through a tiny script: cost
first, compute on request, charts and summary, what-if, and a second visit read from the store."""
from __future__ import annotations

import html

import pytest
from streamlit.testing.v1 import AppTest

from lifecycle import auth, evidence
from lifecycle.review import explain
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions


def _panel_script() -> None:
    import streamlit as st

    from lifecycle import auth
    from lifecycle.models import registry
    from lifecycle.problem import projects
    from ui import state
    from ui.review import explain as explain_panel

    workspace = state.workspace()
    user = auth.get_user(workspace, st.session_state["user"])
    project = projects.find_project(workspace, "Income over 50K")
    version = registry.list_versions(workspace, project.id)[0]
    explain_panel.render(workspace, user, project, version)


def _open(user: str = "rey") -> AppTest:
    app = AppTest.from_function(_panel_script, default_timeout=120)
    app.session_state["user"] = user
    return app.run()


def _version(path):
    workspace = open_workspace(path)
    project = projects.find_project(workspace, "Income over 50K")
    return workspace, registry.list_versions(workspace, project.id)[0]


def test_cost_is_shown_then_computing_draws_charts_and_a_summary(demo_app):
    workspace, version = _version(demo_app)
    app = _open()
    no_exceptions(app)
    # The demo arrives explained: the default sample is read from the store, charts and all.
    assert not app.info and len(app.get("plotly_chart")) == 1  # one view at a time: importance first
    assert any("Read from the store" in c.value and "by ana" in c.value for c in app.caption)
    app.number_input(key=f"explain_{version.id}_rows").set_value(60).run()
    assert "Tree SHAP on 60 of 6,513 test rows" in html.unescape(app.info[0].value)
    app.button(key=f"explain_{version.id}_compute").click().run()
    no_exceptions(app)
    summary = next(m.value for m in app.markdown if m.value.startswith("**What drives the model most**"))
    assert summary.count("\n- ") == 3 and "log-odds of" in html.unescape(summary) and "50K" in summary
    for view in ("Importance", "Beeswarm", "Dependence", "One row"):
        app.radio(key=f"explain_{version.id}_view").set_value(view).run()
        no_exceptions(app)
        assert len(app.get("plotly_chart")) == 1, view
    stored = evidence.latest(workspace, version.id, "explanation")
    assert stored.created_by == "rey" and stored.payload["rows"] == 60
    assert list(stored.payload["importance"])[0] == "marital_status"  # seeded sample of 60 test rows


def test_what_if_changes_the_prediction(demo_app):
    _, version = _version(demo_app)
    app = _open("ana")
    app.number_input(key=f"explain_{version.id}_rows").set_value(50).run()
    app.button(key=f"explain_{version.id}_compute").click().run()
    app.radio(key=f"explain_{version.id}_view").set_value("What-if").run()
    app.number_input(key=f"explain_{version.id}_what_if_0_capital_gain").set_value(99999.0)
    app.button(key=f"explain_{version.id}_what_if_submit").click().run()
    no_exceptions(app)
    before, after = app.metric[0], app.metric[1]
    assert before.label == "Prediction for the original row" and after.value != before.value
    assert after.value.startswith(">50K") and len(app.get("plotly_chart")) == 1  # the edited row's waterfall


def test_a_second_visit_reads_from_the_store(demo_app, monkeypatch):
    workspace, version = _version(demo_app)
    analyst = auth.get_user(workspace, "ana")
    explain.explain_version(workspace, analyst, version, rows=40)
    explain.explain_version(workspace, analyst, version, rows=50)

    def no_compute(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(explain, "explain_inputs", no_compute)
    monkeypatch.setattr(explain, "estimate_cost", no_compute)
    app = _open("sam")  # a stakeholder
    no_exceptions(app)
    assert app.number_input(key=f"explain_{version.id}_rows").value == 50  # the latest stored request
    assert not app.info and len(app.get("plotly_chart")) == 1
    assert any("Read from the store" in c.value for c in app.caption)


@pytest.fixture(autouse=True)
def _fresh_panel_caches():
    """Each test has its own workspace copy: drop loaded models and estimates of the last one."""
    from ui.review import explain as explain_panel
    explain_panel._inputs.clear()
    explain_panel._estimate.clear()
    explain_panel._figure.clear()
    yield
