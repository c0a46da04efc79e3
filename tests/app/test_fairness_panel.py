"""The fairness panel on the demo model: compute once with progress, then read the evidence back."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lifecycle import evidence
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions

SCRIPT = Path(__file__).with_name("fairness_panel_app.py")


def _panel(user: str) -> AppTest:
    app = AppTest.from_file(str(SCRIPT), default_timeout=120)
    app.session_state["user"] = user
    return app.run()


def _charts(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def test_compute_shows_tables_and_charts_then_reads_the_stored_evidence(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    version = registry.list_versions(workspace, income.id)[1]  # the runner-up v2, as the panel app shows it
    app = _panel("rey")
    no_exceptions(app)
    assert app.multiselect(key=f"fairness_sensitive_{version.id}").value == ["sex", "race"]
    # The demo arrives reviewed with the default settings: shown from the store at once.
    assert not app.info and app.get("plotly_chart")
    assert evidence.latest(workspace, version.id, "fairness").created_by == "ana"

    app.select_slider(key="fairness_n_bootstrap").set_value(20)
    next(b for b in app.button if b.label == "Compute fairness review").click().run()
    no_exceptions(app)
    stored = evidence.latest(workspace, version.id, "fairness")
    assert stored is not None and stored.created_by == "rey"
    assert [t.label for t in app.tabs] == ["sex", "race", "sex × race"]
    assert len(app.dataframe) == 1 + 3  # the differences, then one group table per grouping
    differences = app.dataframe[0].value
    assert set(differences["Grouping"]) == {"sex", "race", "sex × race"}
    sex_table = app.dataframe[1].value
    assert set(sex_table["Group"]) == {"Female", "Male"} and sex_table["Rows"].sum() > 1000
    intersection = app.dataframe[3].value
    assert (intersection["Small"] != "").any()  # e.g. the demo's test rows hold few 'Female × Other'
    assert any("not compared" in w.value for w in app.warning)
    titles = [c["layout"]["title"]["text"] for c in _charts(app)]
    assert titles[0].startswith("Differences and ratios") and "Metrics by group — sex" in titles
    assert any("computed now" in c.value for c in app.caption)

    again = _panel("sam")  # another user, another session: the default settings' review, stored
    no_exceptions(again)
    assert not again.info
    assert any("read from the stored evidence" in c.value and "by ana" in c.value for c in again.caption)
    again.select_slider(key="fairness_n_bootstrap").set_value(20)
    next(b for b in again.button if b.label == "Compute fairness review").click().run()
    no_exceptions(again)
    assert not any("Showing the latest" in i.value for i in again.info)  # exactly these settings, stored
    assert any(f"Evidence #{stored.id}" in c.value for c in again.caption)
    # Nothing was computed twice: the demo's review and rey's, no more.
    assert [e.id for e in evidence.for_version(workspace, version.id) if e.kind == "fairness"][0] == stored.id
    assert len([e for e in evidence.for_version(workspace, version.id) if e.kind == "fairness"]) == 2


def test_no_attribute_picked_teaches(demo_app):
    app = _panel("rey")
    key = next(m.key for m in app.multiselect if m.key.startswith("fairness_sensitive_"))
    app.multiselect(key=key).set_value([])
    next(b for b in app.button if b.label == "Compute fairness review").click().run()
    no_exceptions(app)
    assert any("Pick at least one sensitive attribute" in i.value for i in app.info)
