"""A refresh keeps the user signed in, a deep link lands on its page after sign-in, and a background
search's runs show on the page the moment it ends (issue 9, defects 1 and 2)."""
from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_end_to_end import select_project

TIMEOUT = 60_000


def _sign_in_here(page: Page, user: str = "ana") -> None:
    expect(page.get_by_label("User name")).to_be_visible(timeout=3 * TIMEOUT)
    page.get_by_label("User name").fill(user)
    page.get_by_role("textbox", name="Password").fill("lifecycle-demo")
    page.get_by_role("button", name="Sign in").click()


def test_a_deep_link_lands_on_its_page_after_sign_in(browser: Browser, app_url):
    page = browser.new_context().new_page()
    page.goto(f"{app_url}/validate")
    _sign_in_here(page, "rey")
    expect(page.get_by_role("heading", name="Validate", exact=True)).to_be_visible(timeout=TIMEOUT)
    assert page.url.rstrip("/").endswith("/validate")
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_a_refresh_keeps_the_user_signed_in(browser: Browser, app_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{app_url}/problem")
    _sign_in_here(page)
    expect(page.get_by_role("heading", name="Problem")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function("document.cookie.includes('lifecycle_session=')", timeout=TIMEOUT)
    page.reload()
    expect(page.get_by_role("heading", name="Problem")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("User name")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    # Signing out forgets the cookie: the next refresh asks for the password again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("User name")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function("!document.cookie.includes('lifecycle_session=')", timeout=TIMEOUT)
    page.reload()
    expect(page.get_by_label("User name")).to_be_visible(timeout=TIMEOUT)
    context.close()


def _runs_on_record(page: Page) -> int:
    card = page.locator('[data-testid="stMetric"]').filter(has_text="Runs on record")
    expect(card).to_be_visible(timeout=TIMEOUT)
    return int(card.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_a_search_shows_its_runs_the_moment_it_ends(browser: Browser, app_url):
    page = browser.new_context().new_page()
    page.goto(f"{app_url}/develop")
    _sign_in_here(page)
    expect(page.get_by_role("heading", name="Develop")).to_be_visible(timeout=TIMEOUT)
    select_project(page, "Income over 50K")  # ana's last project may be another test's
    before = _runs_on_record(page)
    for label, value in (("Trials (random / halving)", "2"), ("Cross-validation folds", "2")):
        field = page.get_by_label(label)
        field.fill(value)
        field.press("Enter")
    page.get_by_role("button", name="Start").click()
    # No navigation: only a full rerun when the job ends updates the leaderboard outside the progress fragment.
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Runs on record")
           .locator('[data-testid="stMetricValue"]')).to_have_text(f"{before + 2:,}", timeout=300_000)
    expect(page.get_by_text(re.compile(r"search of hist_gradient_boosting: Finished")).first).to_be_visible(
        timeout=TIMEOUT)
