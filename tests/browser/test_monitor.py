"""Monitor in a real browser: the page refreshes itself, and the request count of the last hour
grows while the demo's live traffic flows through the real scoring service (no click between reads)."""
from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.test_end_to_end import TIMEOUT, select_project, sign_in

COUNT = re.compile(r"([\d,]+) requests, [\d,]+ with an error, in this time range")


def _count(page: Page) -> int:
    caption = page.get_by_text(COUNT).first
    expect(caption).to_be_visible(timeout=TIMEOUT)
    return int(COUNT.search(caption.inner_text()).group(1).replace(",", ""))


def test_the_monitor_page_advances_by_itself_with_live_traffic(page: Page, app_url):
    sign_in(page, app_url)
    select_project(page, "Income over 50K")
    page.get_by_role("link", name=re.compile("Monitor")).first.click()
    expect(page.get_by_role("heading", name="Monitor", exact=True)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("combobox", name="Time range").click()
    page.get_by_role("option", name="Last hour").click()
    page.get_by_role("combobox", name="Refresh every").click()
    page.get_by_role("option", name="2 s").click()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=TIMEOUT)
    first = _count(page)
    deadline = time.time() + 120
    latest = first
    while time.time() < deadline and latest <= first:
        page.wait_for_timeout(2000)
        latest = _count(page)
    assert latest > first, f"the request count stayed at {first} for 2 minutes"
