"""The Retrain page in a real browser: an analyst starts an A/B test between the demo's production
version and its staged runner-up, labelled outcomes come back, the page gives the always-valid verdict,
and the analyst concludes the test, keeping the champion."""
from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
from playwright.sync_api import Page, expect

from lifecycle.clock import utc_now
from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import ANSWER, PredictionLog
from tests.browser.test_end_to_end import TIMEOUT, select_project, sign_in

INCOME = 1  # the demo's first project: v1 (#1) in production, v2 (#2) staged
CLASSES = (">50K", "<=50K")


def _outcomes(workspace, rates: dict[int, float], n: int, seed: int = 11) -> None:
    """``n`` answered requests split between the versions of ``rates``, each right with its version's
    rate, with their true labels: written into the log files as the scoring service writes them (the
    app holds the database)."""
    rng = np.random.default_rng(seed)
    versions = list(rates)
    log = PredictionLog(log_dir(workspace, INCOME), flush_rows=10 * n, flush_seconds=3600)
    start = utc_now()
    try:
        for i in range(n):
            version_id = versions[i % len(versions)]
            truth = CLASSES[int(rng.random() < 0.5)]
            predicted = truth if rng.random() < rates[version_id] else CLASSES[CLASSES.index(truth) - 1]
            at = start + timedelta(microseconds=i)
            log.log(request_id=f"browser-ab-{i}", version_id=version_id, version=version_id, role=ANSWER,
                    route="/predict", status=200, latency_ms=1.0, inputs=[{"age": 40}], predictions=[predicted],
                    time=at)
            log.feedback(f"browser-ab-{i}", truth, time=at)
    finally:
        log.close()


def _retrain_page(page: Page) -> None:
    page.get_by_role("link", name=re.compile("Retrain")).first.click()
    expect(page.get_by_role("heading", name="Retrain", exact=True)).to_be_visible(timeout=TIMEOUT)


def test_start_and_conclude_an_ab_test_on_the_retrain_page(page: Page, app_url, browser_workspace):
    sign_in(page, app_url)
    select_project(page, "Income over 50K")
    _retrain_page(page)
    expect(page.get_by_text("Past A/B tests")).to_be_visible(timeout=TIMEOUT)  # the demo's concluded test
    expect(page.get_by_text(re.compile(r"labelled outcomes to detect 5 points of accuracy"))).to_be_visible(
        timeout=TIMEOUT)  # the sample-size calculator
    page.get_by_label("Reason (goes to the audit trail)").fill("Does v2 answer better on live traffic?")
    page.get_by_role("button", name="Start the A/B test").click()
    expect(page.get_by_role("button", name="Roll back")).to_be_visible(timeout=TIMEOUT)  # the test runs
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Labelled outcomes")).to_be_visible(
        timeout=TIMEOUT)

    _outcomes(browser_workspace, {1: 0.70, 2: 0.93}, 800)
    page.reload()
    _retrain_page(page)
    expect(page.get_by_text(re.compile(r"v2 is better: challenger − champion accuracy"))).to_be_visible(
        timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"stay valid however often this page is refreshed"))).to_be_visible(
        timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=TIMEOUT)  # the effect's path

    page.get_by_text("Keep the champion", exact=True).click()
    page.get_by_label("Reason (goes to the audit trail; the verdict if empty)").fill("Keep v1 until v2 is approved")
    page.get_by_role("button", name="Conclude").click()
    expect(page.get_by_text(re.compile(r"A/B test #\d+ concluded: challenger kept"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Start the A/B test")).to_be_visible(timeout=TIMEOUT)  # traffic is v1's
