"""The demo workspace a newcomer sees on first start: real data, a live project, one user per role."""
from __future__ import annotations

import threading
from typing import Callable

from lifecycle import auth, datasets, preparation, projects
from lifecycle.records import User
from lifecycle.store import audit_log, settings
from lifecycle.workspace import Workspace

DEMO_PASSWORD = "lifecycle-demo"
DEMO_USERS = {"admin": "admin", "ana": "analyst", "rey": "reviewer", "sam": "stakeholder"}
_seed_lock = threading.Lock()


def _quiet(_fraction: float, _message: str) -> None:
    pass


def demo_login_hint() -> str:
    people = ", ".join(f"`{name}` ({role})" for name, role in DEMO_USERS.items())
    return f"Demo workspace: sign in as {people} with the password `{DEMO_PASSWORD}`."


def seed_demo(workspace: Workspace, progress: Callable[[float, str], None] = _quiet) -> bool:
    """Fill an empty workspace with the demo; return False when it already has users."""
    with _seed_lock:
        if auth.has_users(workspace):
            return False
        progress(0.05, "Creating one user of each role")
        auth.init_admin(workspace, "admin", DEMO_PASSWORD)
        admin = auth.get_user(workspace, "admin")
        for name, role in DEMO_USERS.items():
            if name != "admin":
                auth.add_user(workspace, admin, name, role, DEMO_PASSWORD)
        with workspace.db.transaction() as cursor:
            settings.put(cursor, "demo", "1")
            audit_log.append(cursor, actor="admin", action="workspace.demo_seeded", entity="workspace")
        analyst = auth.get_user(workspace, "ana")
        _income_project(workspace, analyst, progress)
        _credit_project(workspace, analyst, progress)
        progress(1.0, "Demo workspace ready")
        return True


def _income_project(workspace: Workspace, analyst: User, progress) -> None:
    progress(0.15, "Project 1: income over 50K (UCI Adult)")
    project = projects.create_project(
        workspace, analyst, name="Income over 50K", task="binary", target="income", positive_class=">50K",
        sensitive=["sex", "race"], risk_tier="high",
        statement="Predict whether a person's yearly income exceeds 50K USD from census answers, to "
                  "pre-screen applicants for a financial-literacy programme.",
        intended_use="Ranking applicants for outreach; a human decides who is contacted.",
        out_of_scope="Credit, hiring or any decision about an individual without human review.",
        objectives=["roc_auc>=0.88", "recall>=0.6", "demographic_parity_difference<=0.2",
                    "advisory:latency_p95_ms<=100"])
    progress(0.3, "Ingesting the Adult training data (32,561 rows)")
    dataset = datasets.ingest_bundled(workspace, analyst, project.id, "adult_train")
    progress(0.5, "Freezing a prepared version and a stratified split")
    recipe = preparation.save_recipe(
        workspace, analyst, project.id, "adult-default",
        preparation.suggested_recipe(workspace, dataset, project, ignore=("fnlwgt",)))
    frozen = preparation.freeze_dataset(workspace, analyst, dataset.id, recipe.id)
    preparation.create_split(workspace, analyst, frozen.id, method="stratified", seed=42, test_size=0.2,
                             validation_size=0.1)


def _credit_project(workspace: Workspace, analyst: User, progress) -> None:
    progress(0.7, "Project 2: German credit risk")
    project = projects.create_project(
        workspace, analyst, name="German credit risk", task="binary", target="credit", positive_class="bad",
        sensitive=["sex", "age", "foreign_worker"], risk_tier="high",
        statement="Flag loan applications likely to default; missing a bad customer costs five times a "
                  "wrongly refused good one.",
        intended_use="Decision support for loan officers.",
        out_of_scope="Automatic refusal without review.",
        objectives=["roc_auc>=0.75", "recall>=0.7"])
    progress(0.85, "Ingesting the German credit data (1,000 rows)")
    datasets.ingest_bundled(workspace, analyst, project.id, "german_credit")


