"""The mitigation panel on the demo model: create a threshold-optimizer candidate with progress,
see it on the trade-off chart, and open it."""
from __future__ import annotations

import html

import json

from streamlit.testing.v1 import AppTest

from lifecycle import evidence
from lifecycle.models import registry
from lifecycle.develop import training
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions


def _script():
    """Only the panel: the 'Income over 50K' model in focus (its first version unless one was opened)."""
    import streamlit as st

    from lifecycle import auth
    from lifecycle.models import registry
    from lifecycle.problem import projects
    from ui import state
    from ui.review import mitigation as mitigation_panel

    workspace = state.workspace()
    user = auth.get_user(workspace, st.session_state["user"])
    project = projects.find_project(workspace, "Income over 50K")
    version = registry.get_version(workspace, state.model_version_id()
                                   or registry.list_versions(workspace, project.id)[0].id)
    st.caption(f"In focus: model #{version.id}")
    mitigation_panel.render(workspace, user, project, version)


def _panel(user: str) -> AppTest:
    app = AppTest.from_function(_script, default_timeout=240)
    app.session_state["user"] = user
    return app.run()


def test_an_analyst_creates_a_threshold_optimizer_candidate_and_opens_it(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    base = registry.list_versions(workspace, income.id)[0]
    app = _panel("ana")
    no_exceptions(app)
    assert any("No mitigated candidate of this model yet" in i.value for i in app.info)

    app.selectbox(key="mitigation_method").set_value("threshold_optimizer")
    app.selectbox(key="mitigation_constraint").set_value("demographic_parity")
    app.multiselect(key=f"mitigation_sensitive_{base.id}").set_value(["sex"])
    next(b for b in app.button if b.label == "Create mitigated candidate").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]

    versions = registry.list_versions(workspace, income.id)
    created = versions[-1]
    run = training.get_run(workspace, created.run_id)
    assert (created.state, run.algorithm, run.params["base_version"], run.params["sensitive"]) == (
        "candidate", "threshold_optimizer", base.id, ["sex"])
    shown = [html.unescape(s.value) for s in app.success]  # names reach Markdown as character references
    assert any(f"#{created.id}" in s and "Threshold optimizer" in s for s in shown)
    assert any("sex" in c.value and "input schema" in html.unescape(c.value) for c in app.caption)

    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    texts = [html.unescape(t) for trace in chart["data"] for t in trace["text"]]
    assert len(texts) == 2 and any(f"#{base.id} · base" in t for t in texts)
    assert any(f"#{created.id} · Threshold optimizer" in t for t in texts)
    table = app.dataframe[0].value
    assert len(table) == 2 and table["Accuracy"].between(0, 1).all()
    assert evidence.latest(workspace, base.id, "mitigation") is not None

    next(b for b in app.button if b.label.startswith("Open v")).click().run()
    no_exceptions(app)
    assert app.session_state["model_version_id"] == created.id
    assert any(f"In focus: model #{created.id}" in html.unescape(c.value) for c in app.caption)


def test_a_reviewer_sees_why_the_button_is_disabled(demo_app):
    app = _panel("rey")
    no_exceptions(app)
    button = next(b for b in app.button if b.label == "Create mitigated candidate")
    assert button.disabled
    assert any("reviewer" in c.value for c in app.caption)
