"""AppTest fixtures: the app started from its entry script on an empty or a demo workspace."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lifecycle import auth, demo
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = ["pages/home.py", "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py",
         "pages/deploy.py", "pages/monitor.py", "pages/retrain.py", "pages/govern.py", "pages/retire.py", "pages/admin.py"]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A demo workspace seeded once per session; tests get a copy."""
    folder = tmp_path_factory.mktemp("demo-template")
    path = folder / "demo.duckdb"
    demo.seed_demo(open_workspace(path))
    close_database(path)
    return path


def _copy_workspace(template: Path, folder: Path) -> Path:
    target = folder / "workspace.duckdb"
    shutil.copy(template, target)
    files = template.with_suffix(".files")
    if files.exists():
        shutil.copytree(files, target.with_suffix(".files"))
    return target


@pytest.fixture
def demo_app(demo_template, tmp_path, monkeypatch):
    path = _copy_workspace(demo_template, tmp_path)
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(path))
    monkeypatch.setenv("LIFECYCLE_DEMO", "1")
    monkeypatch.setenv("LIFECYCLE_AUTOSERVE", "0")  # AppTests drive pages; the service has its own tests
    yield path
    close_database(path)


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """A workspace with only its first admin: no projects, no data."""
    path = tmp_path / "workspace.duckdb"
    auth.init_admin(open_workspace(path), "admin", "admin-password")
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(path))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    monkeypatch.setenv("LIFECYCLE_AUTOSERVE", "0")
    yield path
    close_database(path)


def signed_in(user: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["user"] = user
    app.run()
    return app


def no_exceptions(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
