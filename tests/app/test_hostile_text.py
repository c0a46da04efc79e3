"""What a user typed or a file named is shown literally on every page (issue 11, case 3).

One hostile string goes in as the project's name, statement and sensitive attribute, as a
dataset's name, a file's name, a column's name and a category of that column; then every page
and every section renders, and every place Streamlit renders Markdown (bodies, captions, alerts,
headings, widget labels and help, status and toast texts, radio options) and every string of
every plotly chart is checked: the markup must have arrived escaped (no bold, no link, no image,
no code span, no HTML, no auto-linked URL), and the string must still be readable on the page.
"""
from __future__ import annotations

import html
import json
import random
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from lifecycle import auth
from lifecycle.data import datasets, preparation
from lifecycle.develop import search
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.review import explain, fairness_evidence
from lifecycle.store.db import close_database
from lifecycle.validate import stage as validate_stage
from lifecycle.workspace import open_workspace
from tests.app.conftest import APP, no_exceptions

HOSTILE = "**b** [x](javascript:alert(1)) ![t](http://h/p.png) `code` <b>h</b> https://e.io"
FILE_NAME = "**f** [x](javascript:alert(1)) `code` <b>h</b>.csv"  # a file name holds no '/'
# What must never reach a Markdown renderer raw: each would be bold, a link, an image, code, HTML.
MARKUP = ("**b**", "**f**", "[x](", "![t]", "](http", "`code`", "<b>", "https://e.io", "javascript:alert")
MARKDOWN_FIELDS = {"body", "label", "help", "text", "captions"}


def _table() -> bytes:
    random.seed(0)
    lines = [f'"{HOSTILE}",x,y']
    for i in range(240):
        group = HOSTILE if i % 2 else "plain"
        x = random.random()
        y = "yes" if x + (0.3 if i % 2 else 0) + random.random() * 0.3 > 0.8 else "no"
        lines.append(f'"{group}",{x:.4f},{y}')
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin", "admin-password")
    ana = auth.add_user(workspace, admin, "ana", "analyst")
    project = projects.create_project(workspace, ana, name=HOSTILE, task="binary", target="y", positive_class="yes",
                                      statement=f"{HOSTILE} and www.example.org", sensitive=[HOSTILE],
                                      intended_use=HOSTILE, out_of_scope=HOSTILE, objectives=["roc_auc>=0.6"])
    raw = datasets.ingest_bytes(workspace, ana, project.id, _table(), FILE_NAME, name=HOSTILE)
    frozen = preparation.freeze_with_suggested_recipe(workspace, ana, raw.id)
    split = preparation.create_split(workspace, ana, frozen.id, method="stratified", seed=0, test_size=0.3)
    result = search.run_search(workspace, ana, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                               algorithm="linear", method="none", seed=0, cv_folds=2)
    version = registry.register_run(workspace, ana, result.best_run_id)
    validate_stage.validate_version(workspace, ana, version.id, n_bootstrap=20)
    explain.explain_version(workspace, ana, version, rows=50)
    fairness_evidence.review_version(workspace, ana, version.id)
    close_database(path)
    return path, project.id, raw.id, version.id


@pytest.fixture
def hostile_app(hostile_template, tmp_path, monkeypatch):
    template, project_id, dataset_id, version_id = hostile_template
    path = tmp_path / "w.duckdb"
    shutil.copy(template, path)
    shutil.copytree(template.with_suffix(".files"), path.with_suffix(".files"))
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(path))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    yield project_id, dataset_id, version_id
    close_database(path)


def _strings(message, field_name=""):
    """Every (field name, string) pair in a protobuf message, recursively."""
    for descriptor, value in message.ListFields():
        values = value if isinstance(value, (list, tuple)) or type(value).__name__.startswith("Repeated") else [value]
        for item in values:
            if isinstance(item, str):
                yield descriptor.name, item
            elif hasattr(item, "ListFields"):
                yield from _strings(item)


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def rendered_markup(app: AppTest) -> tuple[list[str], list[str]]:
    """(Markdown and chart strings that carry raw markup, every Markdown/chart string decoded)."""
    raw, shown = [], []
    for node in app._tree:
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = getattr(node, "type", "")
        if kind == "plotly_chart":
            texts = list(_json_strings(json.loads(proto.spec)))
        else:
            fields = MARKDOWN_FIELDS | ({"options"} if kind == "radio" else set())
            if kind == "metric":
                fields = fields - {"body"}  # a metric's value is plain text
            texts = [value for name, value in _strings(proto) if name in fields]
        for value in texts:
            if any(markup in value for markup in MARKUP):
                raw.append(f"{kind}: {value[:160]!r}")
            shown.append(html.unescape(value))
    return raw, shown


def _every_view(app: AppTest, where: str) -> tuple[list[str], list[str]]:
    """The page as it is, then each option of every other keyed radio on it (a section's views)."""
    problems, shown = rendered_markup(app)
    problems = [f"[{where}] {p}" for p in problems]
    for radio in [r for r in app.radio if r.key and not r.disabled  # a disabled one (a form ana may not sign) has no views
                  and r.key not in ("develop_section", "validate_section")]:
        for option in radio.options:
            app.radio(key=radio.key).set_value(option).run()
            no_exceptions(app)
            more, seen = rendered_markup(app)
            problems += [f"[{where} / {option}] {p}" for p in more]
            shown += seen
    return problems, shown


def _visit(app: AppTest, page: str, radio_key: str | None = None) -> list[str]:
    app.switch_page(page).run()
    no_exceptions(app)
    problems, shown = _every_view(app, page)
    if radio_key is not None:
        for option in app.radio(key=radio_key).options:
            app.radio(key=radio_key).set_value(option).run()
            no_exceptions(app)
            more, seen = _every_view(app, option)
            problems += more
            shown += seen
    assert any("**b** [x](javascript:alert(1))" in s for s in shown), f"{page}: the hostile text is not shown"
    return problems


@pytest.mark.parametrize(("page", "radio_key"), [
    ("pages/home.py", None), ("pages/problem.py", None), ("pages/data.py", None),
    ("pages/develop.py", "develop_section"), ("pages/validate.py", "validate_section"),
    ("pages/deploy.py", None), ("pages/monitor.py", None), ("pages/retrain.py", None), ("pages/govern.py", None),
    ("pages/retire.py", None),
])
def test_hostile_text_renders_literally_on_every_page(hostile_app, page, radio_key):
    project_id, dataset_id, version_id = hostile_app
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.session_state["user"] = "ana"
    app.session_state["project_id"] = project_id
    app.session_state["model_version_id"] = version_id
    app.run()
    problems = _visit(app, page, radio_key)
    assert not problems, "\n".join(problems)


def _signed_in(project_id: int) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.session_state["user"] = "ana"
    app.session_state["project_id"] = project_id
    app.run()
    return app


def test_an_upload_with_a_hostile_file_name_is_reported_literally(hostile_app):
    project_id, _, _ = hostile_app
    app = _signed_in(project_id)
    app.switch_page("pages/data.py").run()
    app.file_uploader(key="data_upload").upload(FILE_NAME, _table(), "text/csv")
    next(b for b in app.button if b.label == "Ingest").click().run()
    no_exceptions(app)
    assert any("Ingested" in s.value for s in app.success)
    problems, shown = rendered_markup(app)
    assert not problems, "\n".join(problems)
    assert any("**f** [x](javascript:alert(1))" in s for s in shown)


def test_an_upload_whose_name_holds_a_nul_is_ingested_under_a_clean_name(hostile_app):
    """Issue 11, case 7: a NUL in the name raised an uncaught exception in the page."""
    project_id, _, _ = hostile_app
    app = _signed_in(project_id)
    app.switch_page("pages/data.py").run()
    app.file_uploader(key="data_upload").upload("nul\x00name.csv", _table(), "text/csv")
    next(b for b in app.button if b.label == "Ingest").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    assert any("Ingested nul name" in s.value for s in app.success)
