"""The batch-scoring panel: upload, score, summary, refused values as literal text, download."""
from __future__ import annotations

import html

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exceptions
from tests.unit import deploy_model

SCRIPT = Path(__file__).with_name("batch_panel_app.py")


@pytest.fixture
def scoring_app(workspace, actors, project, monkeypatch):
    """The conftest workspace (users by role, project Churn) with a tiny registered model, for the app."""
    version, pipeline, inputs = deploy_model.register(workspace, actors["analyst"], project.id)
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(workspace.path))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    return version, pipeline, inputs


def _panel(user: str) -> AppTest:
    app = AppTest.from_file(str(SCRIPT), default_timeout=60)
    app.session_state["user"] = user
    return app.run()


def _score(app: AppTest, version_id: int, name: str, data: bytes) -> AppTest:
    app.file_uploader(key=f"batch_upload_{version_id}").upload(name, data, "text/csv")
    next(b for b in app.button if b.label == "Score file").click()
    return app.run()


def test_a_file_is_scored_and_refused_rows_shown_as_text(scoring_app):
    version, pipeline, inputs = scoring_app
    rows = inputs.head(30).astype(object)
    rows.loc[7, "city"] = "**west** <b>x</b>"
    app = _panel("analyst")
    no_exceptions(app)
    app = _score(app, version.id, "rows.csv", rows.to_csv(index=False).encode())
    no_exceptions(app)
    assert [m.value for m in app.metric] == ["30", "29", "1"]
    distribution = app.dataframe[0].value
    assert set(distribution["Prediction"]) == {"no", "yes"} and distribution["Rows"].sum() == 29
    problems = app.dataframe[1].value
    assert problems.to_dict("records") == [{
        "row": 7, "column": "city",
        "problem": "'**west** <b>x</b>' is not a category seen in training (known: north, south)"}]
    assert any("1 row(s) were not scored" in w.value for w in app.warning)
    download = app.get("download_button")[0]
    assert "Download the scored file (csv)" in download.proto.label

    app.radio(key=f"batch_format_{version.id}").set_value("Parquet").run()  # the result stays; the format changes
    no_exceptions(app)
    assert "(parquet)" in app.get("download_button")[0].proto.label and [m.value for m in app.metric][0] == "30"


def test_no_file_teaches_and_a_stakeholder_cannot_score(scoring_app):
    version, _, _ = scoring_app
    app = _panel("analyst")
    next(b for b in app.button if b.label == "Score file").click().run()
    no_exceptions(app)
    assert any("No file chosen" in e.value for e in app.error)
    viewer = _panel("stakeholder")
    no_exceptions(viewer)
    assert next(b for b in viewer.button if b.label == "Score file").disabled
    assert any("may not score files with a model version" in c.value for c in viewer.caption)


def test_a_file_missing_a_column_is_a_message_not_a_trace(scoring_app):
    version, _, inputs = scoring_app
    app = _score(_panel("analyst"), version.id, "rows.csv", inputs.drop(columns="age").to_csv(index=False).encode())
    no_exceptions(app)
    assert any("has no column 'age'" in html.unescape(e.value) for e in app.error)
    assert not app.get("download_button")
