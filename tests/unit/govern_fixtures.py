"""Model versions ready for a sign-off, for tests of the stages that need an approved version.

A low-risk project blocks on the inventory entry, the intended purpose, performance with intervals,
the change log and the risks accepted (a reviewer's statement): ``make_signable`` fills the
project's framing and ``approve`` signs with that statement.
"""
from __future__ import annotations

from lifecycle.govern import signoff
from lifecycle.problem import projects

FRAMING = dict(statement="Predict churn to plan retention calls.", intended_use="Ranking customers for a call; "
               "an agent decides.", out_of_scope="Pricing or any automatic decision.")
METRICS = {"roc_auc": {"value": 0.91, "low": 0.88, "high": 0.94, "n": 40}}
RISKS = {"risks_accepted": signoff.ItemInput(judgement="accept", comment="Residual risks read and accepted.")}


def make_signable(workspace, analyst, project_id: int, *, risk_tier: str = "low") -> None:
    """Give the project its framing and ``risk_tier`` (what a sign-off at that tier reads)."""
    projects.update_project(workspace, analyst, project_id, risk_tier=risk_tier, **FRAMING)


def approve(workspace, reviewer, version_id: int, comment: str = "evidence reviewed", **items):
    """``reviewer`` signs the version off with the decision approve and the low tier's statement."""
    return signoff.sign_off(workspace, reviewer, version_id, decision="approve", comment=comment,
                            items={**RISKS, **items})


ROLES = {"analyst": "analyst", "reviewer": "reviewer", "second": "reviewer", "stakeholder": "stakeholder"}


def signable_workspace(path, *, risk_tier: str = "high", name: str = "Churn"):
    """A workspace at ``path`` with a trained, validated, explained model version of a ``risk_tier``
    project whose every blocking evidence exists (a naive baseline beside it): what a real sign-off
    reads. Users: admin, analyst (who builds it), reviewer and second (reviewers), stakeholder.
    Returns the version id."""
    import numpy as np
    import pandas as pd

    from lifecycle import auth
    from lifecycle.data import datasets, preparation
    from lifecycle.develop import search
    from lifecycle.models import registry
    from lifecycle.review import explain
    from lifecycle.store.db import close_database
    from lifecycle.validate import stage as validate_stage
    from lifecycle.workspace import open_workspace

    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    for user, role in ROLES.items():
        auth.add_user(workspace, admin, user, role)
    analyst = auth.get_user(workspace, "analyst")
    project = projects.create_project(workspace, analyst, name=name, task="binary", target="y", positive_class="yes",
                                      sensitive=["group"], risk_tier=risk_tier, objectives=["roc_auc>=0.6"], **FRAMING)
    rng = np.random.default_rng(0)
    rows = 300
    x = rng.normal(size=rows)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=rows), "group": rng.choice(["a", "b"], rows),
                          "y": np.where(x + rng.normal(scale=0.7, size=rows) > 0, "yes", "no")})
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, frame.to_csv(index=False).encode(), "data.csv")
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id)
    split = preparation.create_split(workspace, analyst, frozen.id, method="stratified", test_size=0.3)
    common = dict(project_id=project.id, dataset_id=frozen.id, split_id=split.id, method="none", cv_folds=3)
    search.run_search(workspace, analyst, algorithm="dummy", **common)
    result = search.run_search(workspace, analyst, algorithm="linear", **common)
    version = registry.register_run(workspace, analyst, result.best_run_id)
    validate_stage.validate_version(workspace, analyst, version.id, n_bootstrap=30)
    explain.explain_version(workspace, analyst, registry.get_version(workspace, version.id), rows=50)
    close_database(path)
    return version.id


def copy_workspace(template, folder):
    """A copy of a workspace file and its files folder, for a test to change."""
    import shutil
    from pathlib import Path

    template, target = Path(template), Path(folder) / "w.duckdb"
    shutil.copy(template, target)
    if template.with_suffix(".files").exists():
        shutil.copytree(template.with_suffix(".files"), target.with_suffix(".files"))
    return target
