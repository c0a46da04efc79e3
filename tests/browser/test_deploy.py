"""Deploy in a real browser: the demo's model is live; an analyst stages the runner-up and scores a
file from the page, with one row that does not fit the schema named by row and column."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_end_to_end import TIMEOUT, sign_in


def _batch_file(tmp_path, root) -> str:
    lines = (root / "data" / "adult_test.csv").read_text().splitlines()[:21]
    first, *rest = lines[3].split(",", 2)
    lines[3] = ",".join([first, "Moonlighting", rest[1]])  # a workclass never seen in training
    path = tmp_path / "applicants.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_stage_the_runner_up_and_score_a_batch_from_the_deploy_page(page: Page, app_url, tmp_path):
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    sign_in(page, app_url)
    page.get_by_role("link", name=re.compile("Deploy")).first.click()
    expect(page.get_by_role("heading", name="Deploy", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("v1 (#1)").first).to_be_visible(timeout=TIMEOUT)  # in production since first start

    # The app started the service of what is in production when it started
    page.locator('[data-testid="stRadio"]').get_by_text("Scoring service", exact=True).click()
    service = page.locator('[data-testid="stMetric"]').filter(has_text="Service")
    expect(service.locator('[data-testid="stMetricValue"]')).to_have_text("up", timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"curl -s http://127\.0\.0\.1:\d+/health"))).to_be_visible(timeout=TIMEOUT)

    page.locator('[data-testid="stRadio"]').get_by_text("Batch scoring", exact=True).click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(_batch_file(tmp_path, root))
    page.get_by_role("button", name="Score file").click()
    expect(page.get_by_text(re.compile(r"Scored 19 of 20 rows"))).to_be_visible(timeout=2 * TIMEOUT)
    expect(page.get_by_text(re.compile(r"1 row\(s\) were not scored"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name=re.compile(r"Download the scored file"))).to_be_visible(timeout=TIMEOUT)
