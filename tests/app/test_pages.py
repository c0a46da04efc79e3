"""Every page renders without an exception, on an empty and on the demo workspace, for every role."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, PAGES, no_exceptions, signed_in


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_workspace(empty_app, page):
    app = signed_in("admin")
    app.switch_page(page).run()
    no_exceptions(app)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("user", ["admin", "ana", "rey", "sam"])
def test_page_renders_on_demo_workspace(demo_app, page, user):
    app = signed_in(user)
    app.switch_page(page).run()
    no_exceptions(app)


def test_home_lists_every_demo_project(demo_app):
    app = signed_in("sam")
    no_exceptions(app)
    table = app.dataframe[0].value
    assert list(table["Project"]) == ["Income over 50K", "German credit risk"]
    assert list(table["Stage reached"]) == ["Deploy", "Problem"]  # the demo's v1 is in production
    # A stakeholder reads, in plain words, what drives the demo model (from its stored explanation).
    drivers = next(m.value for m in app.markdown if m.value.startswith("What drives model v1"))
    assert drivers.count("\n- ") == 3 and "higher" in drivers.lower()


def test_sign_in_screen_shows_demo_users_only_in_demo_mode(demo_app):
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert any("lifecycle-demo" in info.value for info in app.info)


def test_sign_in_screen_hides_demo_hint_elsewhere(empty_app):
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not any("lifecycle-demo" in info.value for info in app.info)


def test_sign_in_with_password(demo_app):
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    app.text_input(key="login_name").input("ana")
    app.text_input(key="login_password").input("wrong password")
    app.button[0].click().run()
    assert app.error and "do not match" in app.error[0].value
    app.text_input(key="login_password").input("lifecycle-demo")
    app.button[0].click().run()
    no_exceptions(app)
    assert app.title[0].value == "Portfolio"


def test_first_start_without_demo_asks_for_an_admin(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(tmp_path / "fresh.duckdb"))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    app.text_input(key="admin_name").input("alice")
    app.text_input(key="admin_password").input("long-enough-password")
    app.button[0].click().run()
    no_exceptions(app)
    assert app.title[0].value == "Portfolio"


def test_first_start_seeds_the_demo_with_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(tmp_path / "first.duckdb"))
    monkeypatch.setenv("LIFECYCLE_DEMO", "1")
    app = AppTest.from_file(str(APP), default_timeout=300).run()
    no_exceptions(app)
    assert app.status[0].label == "Demo workspace ready"
    assert any("lifecycle-demo" in info.value for info in app.info)
