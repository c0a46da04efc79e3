"""A project whose model version serves in production, and prediction logs written for it with
the service's own writer, for the drift and monitoring-wiring tests: ``served_base`` (a closed
workspace, built once per test module) and ``served`` (a fresh copy for each test) are fixtures a test
module imports."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from lifecycle.deploy import promotion
from lifecycle.deploy.prediction_log import PredictionLog
from lifecycle.develop import search
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.monitor.drift import log_folder
from lifecycle.store import models as model_store
from lifecycle import auth
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit import govern_fixtures
from tests.unit.training_data import csv_bytes, frozen_split, make_project

START = datetime(2026, 3, 2, 0, 0)  # a Monday, midnight UTC: hourly windows start on the hour
HOUR = timedelta(hours=1)


def served_project(workspace, actors, *, rows: int = 600):
    """A binary project (a, b numeric with some empty b, c categorical) whose version is in production."""
    analyst, reviewer = actors["analyst"], actors["reviewer"]
    project = make_project(workspace, analyst, "binary", name="Drift")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", rows=rows))
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=dataset.id, split_id=split.id,
                               algorithm="linear", method="none", cv_folds=2, space={})
    version = registry.register_run(workspace, analyst, result.best_run_id)
    with workspace.db.transaction() as cursor:
        model_store.insert_validation(cursor, model_version_id=version.id, objectives_version=1, passed=True,
                                      report={"verdicts": [], "metrics": govern_fixtures.METRICS,
                                              "primary_metric": "roc_auc"}, created_by=analyst.name)
    model_states.transition(workspace, analyst, version.id, "validated", "passes")
    govern_fixtures.make_signable(workspace, analyst, project.id)  # low risk: one reviewer's sign-off approves
    govern_fixtures.approve(workspace, reviewer, version.id)
    promotion.move(workspace, analyst, version.id, "staging", "try")
    version = promotion.move(workspace, analyst, version.id, "production", "ship")
    return project, version


def copy_workspace(source: Path, target: Path):
    """A copy of a closed workspace file and its files folder, opened."""
    shutil.copy(source, target)
    files = source.with_suffix(".files")
    if files.exists():
        shutil.copytree(files, target.with_suffix(".files"))
    return open_workspace(target)


def traffic(n: int, *, seed: int = 0, shift_a: float = 0.0, c_weights=(1 / 3, 1 / 3, 1 / 3),
            drop: tuple[str, ...] = ()) -> list[dict]:
    """Rows like the training data (a, b ~ N(0, 1), c in u/v/w), a shifted by ``shift_a``,
    c drawn with ``c_weights``, the columns in ``drop`` left out."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n) + shift_a
    b = rng.normal(size=n)
    c = rng.choice(["u", "v", "w"], size=n, p=c_weights)
    out = []
    for i in range(n):
        row = {"a": round(float(a[i]), 4), "b": None if i % 17 == 5 else round(float(b[i]), 4), "c": str(c[i])}
        out.append({k: v for k, v in row.items() if k not in drop})
    return out


def write_log(workspace, project_id: int, version, rows: list[dict], *, start: datetime, seconds: float,
              per_request: int = 10, role: str = "answer") -> None:
    """Log ``rows`` as requests of ``per_request`` rows, spread evenly over ``seconds`` from ``start``."""
    log = PredictionLog(log_folder(workspace, project_id).parent, flush_rows=10 ** 9, flush_seconds=3600)
    try:
        requests = [rows[i:i + per_request] for i in range(0, len(rows), per_request)]
        for k, chunk in enumerate(requests):
            at = start + timedelta(seconds=seconds * k / max(len(requests), 1))
            predictions = ["yes" if r.get("a") is not None and r["a"] > 0 else "no" for r in chunk]
            outputs = [{"no": 0.3, "yes": 0.7} if p == "yes" else {"no": 0.8, "yes": 0.2} for p in predictions]
            log.log(request_id=f"{start:%H%M%S}-{k}", version_id=version.id, version=version.version, role=role,
                    route="predict", status=200, latency_ms=1.0, inputs=chunk, predictions=predictions,
                    outputs=outputs, time=at)
        log.flush()
    finally:
        log.close()



@pytest.fixture(scope="module")
def served_base(tmp_path_factory):
    """(closed workspace file, project id, version id): project 'Drift' serves a version in production;
    users admin, analyst, reviewer and stakeholder."""
    path = tmp_path_factory.mktemp("served-base") / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    for name in ("analyst", "reviewer", "stakeholder"):
        auth.add_user(workspace, admin, name, name)
    actors = {user.role: user for user in auth.list_users(workspace)}
    project, version = served_project(workspace, actors)
    close_database(path)
    return path, project.id, version.id


@pytest.fixture
def served(served_base, tmp_path):
    """(workspace, project id, version, actors): a fresh copy of the served base workspace."""
    path, project_id, version_id = served_base
    workspace = copy_workspace(path, tmp_path / "w.duckdb")
    actors = {user.role: user for user in auth.list_users(workspace)}
    yield workspace, project_id, registry.get_version(workspace, version_id), actors
    close_database(workspace.path)


def log_hours(workspace, project_id: int, version, pattern: str, rows: int = 400, **shift) -> None:
    """Log an hour of traffic per character from START: '-' like training, 'S' shifted by ``shift``
    (``traffic``'s keywords), '.' none."""
    for i, mark in enumerate(pattern):
        if mark not in "-S":
            continue
        data = traffic(rows, seed=i, **(shift if mark == "S" else {}))
        write_log(workspace, project_id, version, data, start=START + i * HOUR, seconds=3000)
