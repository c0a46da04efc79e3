"""Several real browser pages at once (issue 16, "Many users at once"): three browser contexts, so three
Streamlit sessions of one `streamlit run`, signed in as an analyst, a reviewer and a stakeholder, work at
the same time: ana ingests a CSV on Data, rey rejects a validated version on Govern, sam reads Portfolio
and Monitor. Their steps interleave (each page's click is sent before any of them is awaited), so the
server runs the three sessions' scripts together. Afterwards no page shows an exception, and, with the
app stopped, the workspace holds each record exactly once and its audit chain verifies.

The app serves its own small workspace (not the shared demo's), so this test can stop it and read it."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from lifecycle import audit, auth
from lifecycle.data import datasets, preparation
from lifecycle.develop import search
from lifecycle.govern import signoff
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState
from lifecycle.store.db import LOCK_WAIT_SECONDS, close_database
from lifecycle.validate import stage as validate_stage
from lifecycle.workspace import open_workspace
from tests.browser.conftest import ROOT, streamlit_app

TIMEOUT = 60_000
PASSWORD = "lifecycle-concurrent"
PROJECT = "Churn at once"


@dataclass
class World:
    path: Path
    project_id: int
    version_id: int
    version_label: str
    events_before: Counter
    datasets_before: list[str]


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pd.DataFrame({"x": x.round(4), "noise": rng.normal(size=rows).round(4),
                         "y": np.where(x + rng.normal(scale=0.7, size=rows) > 0, "yes", "no")})


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """ana (analyst), rey (reviewer), sam (stakeholder); a project with a frozen dataset, a split and one
    validated model version for rey to judge. Built through the library: seconds, not the demo's minute."""
    path = tmp_path_factory.mktemp("concurrent") / "workspace.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin", PASSWORD)
    for name, role in (("ana", "analyst"), ("rey", "reviewer"), ("sam", "stakeholder")):
        auth.add_user(workspace, admin, name, role, PASSWORD)
    ana = auth.get_user(workspace, "ana")
    project = projects.create_project(workspace, ana, name=PROJECT, task="binary", target="y",
                                      positive_class="yes", objectives=["roc_auc>=0.6"])
    dataset = datasets.ingest_bytes(workspace, ana, project.id, _frame(200, 0).to_csv(index=False).encode(), "base.csv")
    frozen = preparation.freeze_with_suggested_recipe(workspace, ana, dataset.id)
    split = preparation.create_split(workspace, ana, frozen.id, method="stratified", test_size=0.3)
    result = search.run_search(workspace, ana, algorithm="linear", project_id=project.id, dataset_id=frozen.id,
                               split_id=split.id, method="none", cv_folds=2, seed=0)
    version = registry.register_run(workspace, ana, result.best_run_id)
    validate_stage.validate_version(workspace, ana, version.id, n_bootstrap=20)
    version = registry.get_version(workspace, version.id)
    assert version.state == ModelState.VALIDATED
    before = Counter(e.action for e in audit.recent_events(workspace, limit=100_000))
    names = sorted(d.name for d in datasets.list_datasets(workspace, project.id))
    close_database(path)  # the app's process holds the file from here on
    return World(path=path, project_id=project.id, version_id=version.id, version_label=f"v{version.version}",
                 events_before=before, datasets_before=names)


def _open_signed_in(browser: Browser, url: str, path: str, user: str) -> Page:
    """A fresh browser context (its own session) on ``path``, its sign-in form filled and sent (not awaited)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/{path}")
    expect(page.get_by_label("User name")).to_be_visible(timeout=3 * TIMEOUT)
    page.get_by_label("User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _heading(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=TIMEOUT)


def _no_exception(page: Page, who: str) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, f"{who} sees an exception: {shown.first.inner_text()[:2000]}"


def test_three_browser_pages_at_once(browser: Browser, world: World, tmp_path):
    csv = tmp_path / "wave.csv"
    _frame(60, 7).to_csv(csv, index=False)
    with streamlit_app(world.path, LIFECYCLE_DEMO="0", LIFECYCLE_AUTOSERVE="0") as (url, _process):
        # Sign in on all three at once, then wait for each page.
        ana = _open_signed_in(browser, url, "data", "ana")
        rey = _open_signed_in(browser, url, "govern", "rey")
        sam = _open_signed_in(browser, url, "", "sam")
        _heading(ana, "Data")
        _heading(rey, "Govern")
        _heading(sam, "Portfolio")
        expect(ana.get_by_role("combobox", name="Project")).to_have_value(PROJECT, timeout=TIMEOUT)

        # Prepare both writes, then send them back to back, with sam's read in between.
        ana.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
        focus = rey.get_by_role("combobox", name="Model version in focus")
        if not focus.input_value().startswith(f"{world.version_label} "):
            focus.click()
            focus.press_sequentially(f"{world.version_label} ")
            focus.press("Enter")
            expect(focus).to_have_value(re.compile(rf"^{world.version_label} "), timeout=TIMEOUT)
        form = rey.locator('[data-testid="stForm"]')
        form.locator('[data-testid="stRadio"]').get_by_text("Reject", exact=True).click()
        form.get_by_label("Comment on the whole (goes on the audit trail and the model card)").fill(
            "rey: not yet, from a browser at the same time as others.")
        ana.get_by_role("button", name="Ingest", exact=True).click()
        sam.get_by_role("link", name=re.compile("Monitor")).first.click()
        form.get_by_role("button", name="Sign off").click()

        expect(ana.get_by_text("Ingested wave v1")).to_be_visible(timeout=TIMEOUT)
        expect(rey.get_by_text(f"Model {world.version_label}", exact=False).filter(has_text="is rejected").first
               ).to_be_visible(timeout=TIMEOUT)
        _heading(sam, "Monitor")
        sam.get_by_role("link", name=re.compile("Portfolio|Home")).first.click()  # and back, while the others render
        _heading(sam, "Portfolio")
        expect(sam.get_by_text(PROJECT).first).to_be_visible(timeout=TIMEOUT)
        for who, page in (("ana", ana), ("rey", rey), ("sam", sam)):
            _no_exception(page, who)
            page.context.close()

    # The app has stopped: the file is free. Every record once, nothing else, and the chain holds.
    workspace = open_workspace(world.path)
    try:
        names = [d.name for d in datasets.list_datasets(workspace, world.project_id)]
        assert sorted(names) == sorted([*world.datasets_before, "wave"])  # the new one, once
        [signed] = signoff.signoffs(workspace, world.version_id)
        assert (signed.signer, signed.decision) == ("rey", "reject")
        assert registry.get_version(workspace, world.version_id).state == ModelState.REJECTED
        after = Counter(e.action for e in audit.recent_events(workspace, limit=100_000))
        made = after - world.events_before
        assert made["dataset.ingested"] == 1
        assert made["govern.signoff"] == made["model.rejected"] == 1
        verdict = audit.verify_chain(workspace)
        assert verdict.ok, verdict.reason
        assert verdict.events == sum(after.values())
    finally:
        close_database(world.path)


def _cli(path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lifecycle", "--workspace", str(path), "--user", "admin", *args],
                          cwd=ROOT, env={**os.environ, "LIFECYCLE_AUTOSERVE": "0"}, capture_output=True, text=True,
                          timeout=60)
    return done, time.perf_counter() - started


def test_the_cli_beside_the_running_app_is_told_plainly(browser: Browser, world: World):
    """While `streamlit run` holds the workspace (a session has opened it), a CLI command in another
    process, writing or reading, exits 2 within seconds with one line naming the app and its process."""
    with streamlit_app(world.path, LIFECYCLE_DEMO="0", LIFECYCLE_AUTOSERVE="0") as (url, process):
        page = _open_signed_in(browser, url, "", "sam")
        _heading(page, "Portfolio")  # a session has run: the app has the file open
        for args in (["user", "add", "lee", "--role", "analyst", "--password", PASSWORD], ["audit", "verify"]):
            done, took = _cli(world.path, *args)
            print(f"\n{' '.join(args[:2])}: exit {done.returncode} in {took:.1f} s: {done.stderr.strip()}")
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            assert took < LOCK_WAIT_SECONDS + 10, f"{args[:2]} took {took:.1f} s"
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1, done.stderr
            assert f"held for writing by the Lifecycle app, process {process.pid} " in lines[0], lines[0]
            assert "Ctrl+C" in lines[0] and "Traceback" not in done.stderr
        page.context.close()
    # With the app stopped the file is free, and the refused write left nothing behind.
    done, _took = _cli(world.path, "audit", "verify")
    assert done.returncode == 0, done.stderr
    workspace = open_workspace(world.path)
    try:
        assert "lee" not in [u.name for u in auth.list_users(workspace)]
    finally:
        close_database(world.path)
