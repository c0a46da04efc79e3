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


def _plain(markdown: str) -> str:
    """Markdown as read: escapes removed."""
    import html
    return html.unescape(markdown.replace("\\", ""))


def test_home_lists_every_demo_project(demo_app):
    app = signed_in("sam")
    no_exceptions(app)
    table = app.dataframe[0].value
    assert list(table["Project"]) == ["Income over 50K", "German credit risk"]
    assert list(table["Stage reached"]) == ["Govern", "Problem"]  # the demo's v1 is signed off and in production
    # A stakeholder reads, in plain words, what drives the demo model (from its stored explanation).
    drivers = _plain(next(m.value for m in app.markdown if m.value.startswith("What drives model v1")))
    assert drivers.count("\n- ") == 3 and "raises the predicted chance of income >50K" in drivers
    assert "log-odds" not in drivers


def test_home_satisfies_a_stakeholder_alone(demo_app):
    """Health word with its reason, the primary objective's latest value against its threshold with a word,
    its trend across model versions, when it last changed, and recent activity in words with the project."""
    app = signed_in("sam")
    no_exceptions(app)
    table = app.dataframe[0].value
    income = table.iloc[0]
    assert income["Health"] == "attention"  # the demo model misses an advisory fairness objective
    assert income["Primary objective (latest model)"].startswith("roc_auc 0.9")
    assert income["Primary objective (latest model)"].endswith("(needs >= 0.88): pass")
    # v1 in production, the runner-up v2, v3 retired, v4 retrained on the rows since the drift
    assert len(income["Trend"]) == 4 and min(income["Trend"]) > 0.88
    assert income["Last changed (UTC)"] is not None
    assert table.iloc[1]["Health"] == "on track"
    markdown = _plain(" ".join(m.value for m in app.markdown))
    assert "model v1 meets every blocking objective but misses the advisory demographic_parity_difference" in markdown
    assert ":orange-badge[:material/warning: attention]" in markdown
    assert ":green-badge[:material/check_circle: pass] Primary objective **roc_auc >= 0.88**: model v1 scores " \
           "**0.9" in markdown
    activity = app.dataframe[1].value
    # The demo's newest events: the retrain its planted drift alert caused, from the alert to the validation.
    happened = list(activity["What happened"])
    assert happened[0] == "ana ended retrain #1 of Income over 50K: done"
    assert "ana started retrain #1 of Income over 50K on alert #1" in happened
    assert "ana validated model v4 of Income over 50K: it meets every blocking objective" in happened
    assert not any("evidence." in sentence or "model:" in sentence or "retrain." in sentence for sentence in happened)


def test_no_emoji_stands_for_a_status(demo_app):
    """Strip, Home and badges say a status with a Material icon and a word, never an emoji alone."""
    import re
    emoji = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
    for page in ("pages/home.py", "pages/validate.py", "pages/problem.py"):
        app = signed_in("ana")
        app.switch_page(page).run()
        no_exceptions(app)
        shown = [m.value for m in [*app.markdown, *app.caption]] + [str(d.value) for d in app.dataframe]
        assert not [s for s in shown if emoji.search(s)], page


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


def test_the_findings_card_says_what_it_counts(demo_app):
    """Issue 9: the card said 6 above a list of 11; now it counts problems and warnings, and says so."""
    import re
    app = signed_in("ana")
    app.switch_page("pages/data.py").run()
    no_exceptions(app)
    card = next(m for m in app.metric if m.label == "Problems and warnings")
    header = next(m.value for m in app.markdown if m.value.startswith("**Findings** ("))
    total, problems, warnings, notes = map(int, re.findall(r"\d+", header))
    assert int(card.value) == problems + warnings and total == problems + warnings + notes
