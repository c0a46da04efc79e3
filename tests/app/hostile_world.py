"""A served project where everything a person typed or a file named is hostile text, taken through
stages 5–9 with real data: a production model (signed off with hostile statements, promoted with a
hostile reason), simulated traffic with a drift on a hostile-named column, the drift alert
acknowledged with a hostile comment, an A/B test started and concluded with hostile reasons, and a
retired version with a hostile reason and its archive."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle import auth
from lifecycle.data import datasets, preparation
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace

# Markdown (bold, a link, maths, a Streamlit icon directive), HTML (a script, an image with a handler).
MARKUP = "**b** [x](http://x.io) <script>alert(1)</script> <img src=x onerror=alert(1)> $\\LaTeX$ :material/home:"
PROJECT = "**b** [x](http://x.io) <script>alert(1)</script> $\\LaTeX$ :material/home:"  # under 80 characters
NUMBER = "**age** <i>x</i> $y$ :material/bolt:"  # a numeric column (it drifts): no '=' or ';' (drift spec syntax)
CATEGORY = f"city {MARKUP}"  # a categorical, sensitive column
CATEGORIES = ("<img src=x onerror=alert(2)>", "**bold**", "[l](http://evil.io)")
# What a person writes in a comment: markup, a line break that would start a Markdown heading, a formula.
COMMENT = f"=cmd|' /C calc'!A0 {MARKUP}\n# heading"
# Strings that must never reach a renderer raw (each would be bold, a link, a tag, maths, an icon, a formula).
RAW = ("**b**", "**age**", "**bold**", "[x](", "[l](", "](http", "<script>", "<img", "<i>", "$\\LaTeX$", "$y$",
       ":material/home:", ":material/bolt:")
PASSWORD = "hostile-password"
USERS = {"ana": "analyst", "rey": "reviewer", "val": "reviewer", "sam": "stakeholder"}


@dataclass(frozen=True)
class World:
    path: Path
    project_id: int
    production_id: int
    challenger_id: int
    retired_id: int
    alert_id: int


def _rows(n: int = 600, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    number = rng.normal(40, 10, n).round(1)
    category = rng.choice(CATEGORIES, n)
    other = rng.normal(size=n).round(3)
    signal = (number - 40) / 10 + (category == CATEGORIES[0]) + other * 0.5 + rng.normal(0, 0.7, n)
    frame = pd.DataFrame({NUMBER: number, CATEGORY: category, "other": other,
                          "y": np.where(signal > 0.3, "yes", "no")})
    return frame.to_csv(index=False).encode()


def build(folder: Path) -> World:
    from lifecycle import retire
    from lifecycle.deploy import promotion
    from lifecycle.develop import search
    from lifecycle.govern import signoff
    from lifecycle.models import registry
    from lifecycle.monitor import alerts, history, refresh
    from lifecycle.monitor.drift_config import configure_drift
    from lifecycle.retrain import abtest, traffic
    from lifecycle.review import explain, fairness_evidence
    from lifecycle.validate import stage as validate_stage

    path = folder / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin", PASSWORD)
    users = {name: auth.add_user(workspace, admin, name, role, PASSWORD) for name, role in USERS.items()}
    ana = users["ana"]
    project = projects.create_project(workspace, ana, name=PROJECT, task="binary", target="y", positive_class="yes",
                                      statement=COMMENT, sensitive=[CATEGORY], intended_use=COMMENT,
                                      out_of_scope=COMMENT, risk_tier="high", objectives=["roc_auc>=0.6"])
    raw = datasets.ingest_bytes(workspace, ana, project.id, _rows(), "**f** <img src=x onerror=alert(1)> $x$.csv",
                                 name=PROJECT)
    frozen = preparation.freeze_with_suggested_recipe(workspace, ana, raw.id, name=PROJECT)
    split = preparation.create_split(workspace, ana, frozen.id, method="stratified", seed=0, test_size=0.3)
    common = dict(project_id=project.id, dataset_id=frozen.id, split_id=split.id, seed=0, cv_folds=2)
    runs = [r for algorithm in ("linear", "random_forest", "hist_gradient_boosting")
            for r in search.run_search(workspace, ana, algorithm=algorithm, method="none", **common).runs if r.ok]
    search.run_search(workspace, ana, algorithm="dummy", method="none", **common)  # the naive baseline
    versions = []
    for run in runs:
        version = registry.register_run(workspace, ana, run.id)
        validate_stage.validate_version(workspace, ana, version.id, n_bootstrap=20)
        versions.append(registry.get_version(workspace, version.id))
    production, challenger, third = versions
    for version in (production, challenger):
        explain.explain_version(workspace, ana, version, rows=50)
        fairness_evidence.review_version(workspace, ana, version.id)
    statements = {item: signoff.ItemInput(judgement="accept", comment=f"{item}: {COMMENT}")
                  for item in ("regulations", "training_data_bias", "human_oversight", "risks_accepted",
                               "privacy_security", "independent_validation", "retirement_criteria")}
    condition = {"monitoring_plan": signoff.ItemInput(judgement="condition", comment=COMMENT)}
    for version in (production, challenger):
        signoff.sign_off(workspace, users["rey"], version.id, decision="conditional", comment=COMMENT,
                         items={**statements, **condition})
        signoff.sign_off(workspace, users["val"], version.id, decision="approve", comment=COMMENT, items=statements)
    promotion.move(workspace, ana, production.id, "production", COMMENT)
    history.write_history(workspace, project.id, days=2, rows_per_day=1200, drift=f"shift:{NUMBER}=+25",
                          start_drift_day=1, label_delay=3600.0, label_share=0.9, seed=3, actor=ana)
    configure_drift(workspace, ana, project.id, window_seconds=6 * 3600, consecutive=1)
    refresh.refresh(workspace, project.id)
    found = alerts.alerts_for(workspace, project.id, state="open")
    assert found, "the planted drift raises an alert"
    alert = alerts.acknowledge(workspace, ana, found[0].id, COMMENT)
    promotion.move(workspace, ana, challenger.id, "staging", COMMENT)
    abtest.start_abtest(workspace, ana, project.id, champion_id=production.id, challenger_id=challenger.id,
                        share=0.5, reason=COMMENT)
    traffic.simulate_test_traffic(workspace, project.id, rows=400, seed=5)
    retire.decommission(workspace, admin, third.id, reason=COMMENT)
    refresh.refresh(workspace, project.id)
    close_database(path)
    return World(path=path, project_id=project.id, production_id=production.id, challenger_id=challenger.id,
                 retired_id=third.id, alert_id=alert.id)
