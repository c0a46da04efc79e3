"""Govern and Retire in a real browser (issue 15): the version an analyst trained is explained,
signed off by two reviewers who did not build it (the demo project is high risk), promoted to
production by the analyst, and retired by the admin with v1 as its replacement; the archive checks
out and the hand-over report tells the story.

It takes over model v5, which ``test_end_to_end.py::test_train_a_model_on_the_demo_data_and_see_the_verdict``
trains, registers and validates as ana earlier in the same session (the tests share one app)."""
from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_end_to_end import TIMEOUT

VERSION = "v5"  # the demo holds v1 (production), v2 (staged), v3 (retired) and v4 (its drift retrain)
REASON = "Browser test: superseded, v1 serves again"


def _signed_in(browser: Browser, url: str, user: str) -> Page:
    """A fresh browser session (its own cookie) signed in as ``user``, on Portfolio."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    expect(page.get_by_label("User name")).to_be_visible(timeout=3 * TIMEOUT)
    page.get_by_label("User name").fill(user)
    page.get_by_role("textbox", name="Password").fill("lifecycle-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible(timeout=TIMEOUT)
    project = page.get_by_role("combobox", name="Project")
    if project.input_value() != "Income over 50K":  # ana's last project may be another test's
        _choose(project, "Income over 50K")
    return page


def _open(page: Page, title: str) -> None:
    page.get_by_role("link", name=re.compile(title)).first.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=TIMEOUT)


def _choose(box, typed: str) -> None:
    """Pick the first option of a select box that matches ``typed`` (typing filters the options; a
    first click sometimes only focuses the box, so the keyboard is surer than clicking an option)."""
    box.click()
    box.press_sequentially(typed)
    box.press("Enter")
    expect(box).to_have_value(re.compile(rf"^{re.escape(typed)}"), timeout=TIMEOUT)


def _focus(page: Page, version: str) -> None:
    """Pick ``version`` as the model version in focus (sidebar); a new session starts on production's."""
    _choose(page.get_by_role("combobox", name="Model version in focus"), f"{version} ")


def _section(page: Page, name: str) -> None:
    page.locator('[data-testid="stRadio"]').get_by_text(name, exact=True).click()


def _metric(page: Page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def _sign_off(page: Page, reviewer: str) -> None:
    """As ``reviewer``: attest every statement the high tier asks for, then approve the whole."""
    _open(page, "Govern")
    _focus(page, VERSION)
    expect(page.get_by_role("heading", name=re.compile(rf"Model {VERSION} "))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("No approval is possible until")).to_have_count(0)  # no blocking evidence missing
    form = page.locator('[data-testid="stForm"]')
    statements = form.locator('[data-testid="stHorizontalBlock"]').filter(
        has_text=re.compile(r"statement needed|your statement is needed"))  # the 2nd reviewer sees "attested" + this
    expect(statements.first).to_be_visible(timeout=TIMEOUT)
    count = statements.count()
    assert count >= 5, f"a high-risk checklist asks for several statements, found {count}"
    for index in range(count):
        row = statements.nth(index)
        _choose(row.get_by_role("combobox", name="Judgement"), "accept")
        row.get_by_role("textbox", name="Comment").fill(f"{reviewer} attests this for the browser test")
    form.get_by_label("Comment on the whole (goes on the audit trail and the model card)").fill(
        f"{reviewer}: evidence read, statements given; approved.")
    form.get_by_role("button", name="Sign off").click()


def test_an_analysts_model_is_signed_off_served_and_retired(browser: Browser, app_url):
    # The analyst explains the version: the high tier blocks approval until its drivers are on record.
    ana = _signed_in(browser, app_url, "ana")
    _open(ana, "Validate")
    _focus(ana, VERSION)
    _section(ana, "Explain")
    ana.get_by_role("button", name="Compute explanation").click()
    expect(ana.get_by_text("What drives the model most")).to_be_visible(timeout=3 * TIMEOUT)

    # Two reviewers who did not build it sign it off on the Govern page.
    rey = _signed_in(browser, app_url, "rey")
    _sign_off(rey, "rey")
    expect(rey.get_by_text(re.compile(r"Sign-off recorded: 1 of 2"))).to_be_visible(timeout=TIMEOUT)
    expect(_metric(rey, "Sign-off")).to_have_text("1 of 2", timeout=TIMEOUT)
    expect(rey.get_by_role("button", name="Sign off")).to_be_disabled()  # each reviewer signs once
    val = _signed_in(browser, app_url, "val")
    _sign_off(val, "val")
    expect(val.get_by_text(re.compile(rf"Model {VERSION} \(#\d+, approved\) is approved"))).to_be_visible(
        timeout=TIMEOUT)
    expect(_metric(val, "Sign-off")).to_have_text("2 of 2", timeout=TIMEOUT)

    # The analyst moves it to staging, then to production, on the Deploy page.
    _open(ana, "Deploy")
    _focus(ana, VERSION)
    for target in ("staging", "production"):
        ana.get_by_label("Reason for the move (goes to the audit trail)").fill(f"Browser test: to {target}")
        ana.get_by_role("button", name=f"Move to {target}").click()
        expect(ana.get_by_text(re.compile(rf"^Model {VERSION} \(#\d+, {target}\)")).first).to_be_visible(
            timeout=TIMEOUT)
        # the rerun has ended when the move just made is no longer offered (stale buttons linger until then)
        expect(ana.get_by_role("button", name=f"Move to {target}")).to_have_count(0, timeout=TIMEOUT)
    expect(_metric(ana, "In production")).to_have_text(re.compile(rf"^{VERSION} \(#\d+\)$"), timeout=TIMEOUT)

    # The admin retires it, with v1 (approved, back in staging) taking production over.
    admin = _signed_in(browser, app_url, "admin")
    _open(admin, "Retire")
    expect(_metric(admin, "In production")).to_have_text(re.compile(rf"^{VERSION} "), timeout=TIMEOUT)
    form = admin.locator('[data-testid="stForm"]')
    _choose(form.get_by_role("combobox", name="Version to retire"), f"{VERSION} ")
    expect(form.get_by_role("combobox", name="Version to retire")).to_have_value(re.compile("production"))
    form.get_by_label("Reason (goes to the record, the archive and the hand-over report)").fill(REASON)
    _choose(form.get_by_role("combobox", name=re.compile("Replacement")), "v1 ")
    form.get_by_role("button", name="Retire version").click()
    expect(admin.get_by_text(re.compile(rf"Model {VERSION} is retired and archived \(\d+ files, [\d,]+ bytes\)\. "
                                        r"Serving now: #1\."))).to_be_visible(timeout=2 * TIMEOUT)
    expect(_metric(admin, "In production")).to_have_text("v1 (#1)", timeout=TIMEOUT)
    expect(_metric(admin, "Retired versions")).to_have_text(re.compile(r"^2 of \d+$"), timeout=TIMEOUT)

    _section(admin, "Archive")
    admin.get_by_role("button", name="Check archive").click()  # the newest retirement comes first
    expect(admin.get_by_text(re.compile(r"Archive intact: its \d+ files match their SHA-256"))).to_be_visible(
        timeout=TIMEOUT)

    _section(admin, "Hand-over report")
    expect(admin.get_by_role("heading", name="Hand-over report: Income over 50K")).to_be_visible(timeout=TIMEOUT)
    # Its tables are data frames, drawn on a canvas: their cells' text is in the grid's accessible mirror.
    cells = admin.locator('[data-testid^="glide-cell"]')
    expect(cells.filter(has_text=re.compile(rf"^{VERSION} \(#\d+\)$")).first).to_be_attached(timeout=TIMEOUT)
    expect(cells.filter(has_text=REASON[:30]).first).to_be_attached(timeout=TIMEOUT)  # a long cell ends in "…"
    expect(cells.filter(has_text=re.compile(rf"^{VERSION} signed off, approve: rey")).first).to_be_attached(
        timeout=TIMEOUT)
