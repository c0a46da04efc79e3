"""Clicked through as a user would: sign in, create a project, upload a CSV, see its profile."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

TIMEOUT = 60_000


def sign_in(page: Page, url: str, user: str = "ana") -> None:
    page.goto(url)
    expect(page.get_by_text("Demo workspace: sign in as")).to_be_visible(timeout=3 * TIMEOUT)
    page.get_by_label("User name").fill(user)
    page.get_by_role("textbox", name="Password").fill("lifecycle-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible(timeout=TIMEOUT)


def select_project(page: Page, name: str) -> None:
    """The picker opens the user's last project (it is remembered); pick the one a test works on."""
    page.get_by_role("combobox", name="Project").click()
    page.get_by_role("option", name=name).click()
    expect(page.get_by_role("combobox", name="Project")).to_have_value(name, timeout=TIMEOUT)


def test_create_project_upload_csv_and_see_profile(page: Page, app_url, tmp_path):
    sign_in(page, app_url)
    expect(page.get_by_text("Income over 50K").first).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("link", name=re.compile("Problem")).first.click()
    expect(page.get_by_role("heading", name="Problem")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="New project").click()
    # The new-project form replaces the project's edit form on a rerun: wait for it, fill the visible one.
    expect(page.get_by_role("button", name="Create project")).to_be_visible(timeout=TIMEOUT)
    page.get_by_label("Name", exact=True).filter(visible=True).fill("Browser churn")
    page.get_by_label("Target column").fill("churned")
    page.get_by_label("Positive class (binary only)").fill("yes")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("Browser churn").first).to_be_visible(timeout=TIMEOUT)

    csv = tmp_path / "churn.csv"
    rows = ["tenure,plan,churned"] + [f"{i % 48},{'basic' if i % 3 else 'pro'},{'yes' if i % 4 == 0 else 'no'}"
                                      for i in range(200)]
    csv.write_text("\n".join(rows) + "\n")
    page.get_by_role("link", name=re.compile("Data")).first.click()
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=TIMEOUT)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    page.get_by_role("button", name="Ingest", exact=True).click()
    expect(page.get_by_text("Ingested churn v1")).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("tab", name="Profile").click()
    expect(page.get_by_text("Findings").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=TIMEOUT)


def test_reviewer_opens_the_explanation_and_fairness_panels_of_the_demo_model(page: Page, app_url):
    """Runs before the training test registers v5: the demo's v1, in production, is the version in focus."""
    sign_in(page, app_url, user="rey")
    page.get_by_role("link", name=re.compile("Validate")).first.click()
    expect(page.get_by_role("heading", name="Validate", exact=True)).to_be_visible(timeout=TIMEOUT)
    sections = page.locator('[data-testid="stRadio"]').first
    sections.get_by_text("Explain", exact=True).click()
    expect(page.get_by_text("What drives the model most")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Compute explanation")).to_have_count(0)  # read from the store

    sections.get_by_text("Fairness", exact=True).click()
    expect(page.get_by_text(re.compile(r"read from the stored evidence")).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Differences and ratios").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Create mitigated candidate")).to_be_disabled(timeout=TIMEOUT)


def test_train_a_model_on_the_demo_data_and_see_the_verdict(page: Page, app_url):
    sign_in(page, app_url)
    select_project(page, "Income over 50K")  # ana's last project is the one the first test created
    page.get_by_role("link", name=re.compile("Develop")).first.click()
    expect(page.get_by_role("heading", name="Develop")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Runs on record")).to_be_visible(timeout=TIMEOUT)
    for label, value in (("Trials (random / halving)", "2"), ("Cross-validation folds", "2")):
        field = page.get_by_label(label)
        field.fill(value)
        field.press("Enter")
    page.get_by_role("button", name="Start").click()  # a random search of gradient boosting, in the background
    expect(page.get_by_text(re.compile(r"search of hist_gradient_boosting: Finished"))).to_be_visible(timeout=300_000)

    page.locator('[data-testid="stRadio"]').get_by_text("Register model", exact=True).click()
    page.get_by_role("button", name="Register as model version").click()
    expect(page.get_by_text(re.compile(r"Registered model v5 "))).to_be_visible(timeout=120_000)

    page.get_by_role("link", name=re.compile("Validate")).first.click()
    expect(page.get_by_role("heading", name="Validate", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(r"Model v5"))).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Validate on the test split").click()
    expect(page.get_by_text(re.compile(r"Report #\d+ by ana"))).to_be_visible(timeout=300_000)
    expect(page.get_by_text(re.compile(r"roc_auc ≥ 0\.88 — 0\.9\d+ ≥ 0\.88")).filter(visible=True).first).to_be_visible(
        timeout=TIMEOUT)
