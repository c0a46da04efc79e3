"""The Data page's SQL box, both buttons ("Run query" and "Run and save as dataset"): one statement of
each hostile kind is refused in the page with its reason, and the workspace is unchanged afterwards.
Every kind is tested on the lifecycle and CLI routes in tests/unit/test_sql_routes.py."""
from __future__ import annotations

import html

import pytest

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in
from tests.unit.test_sql_routes import CSV, HOSTILE, SECRET, fingerprint, outside  # noqa: F401 (fixture)

# One of each kind: file, glob, network, extension, attach, copy, export, setting, write.
KINDS = ["read_csv", "glob", "https", "install", "attach", "copy to", "export", "set", "drop a workspace table"]


@pytest.mark.parametrize("button", ["Run query", "Run and save as dataset"])
def test_the_data_page_refuses_each_kind(empty_app, outside, button):
    workspace = open_workspace(empty_app)
    admin = auth.get_user(workspace, "admin")
    project = projects.create_project(workspace, admin, name="Churn", task="binary", target="y",
                                      positive_class="yes")
    datasets.ingest_bytes(workspace, admin, project.id, CSV, "customers.csv")
    app = signed_in("admin")
    app.switch_page("pages/data.py").run()
    for label, sql, said in [h for h in HOSTILE if h[0] in KINDS]:
        before = fingerprint(workspace, workspace.artifacts_dir, outside)
        app.text_area(key="data_sql_text").input(sql.format(dir=outside))
        app.text_input(key="data_sql_name").input("leak")
        next(b for b in app.button if b.label == button).click().run()
        no_exceptions(app)
        shown = [html.unescape(e.value) for e in app.error]
        assert any(said in e and "The query was refused" in e for e in shown), (label, shown)
        assert not any(SECRET in html.unescape(m.value) for m in app.markdown)
        assert fingerprint(workspace, workspace.artifacts_dir, outside) == before, label
    assert [d.name for d in datasets.list_datasets(workspace, project.id)] == ["customers"]
