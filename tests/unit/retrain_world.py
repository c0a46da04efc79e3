"""A project with a model in production and two days of labelled simulated traffic (age shifted on the
second day), built once and copied for each test that retrains: shared by the retrain tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lifecycle.monitor import history
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.simulate_world import new_workspace, production_project, users

HISTORY_ROWS_PER_DAY = 300
LABEL_SHARE = 0.9


@pytest.fixture(scope="session")
def retrain_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("retrain-template") / "w.duckdb"
    workspace = new_workspace(path)
    project = production_project(workspace)
    history.write_history(workspace, project.id, days=2, rows_per_day=HISTORY_ROWS_PER_DAY, drift="shift:age=+10",
                          start_drift_day=1, label_delay=600, label_share=LABEL_SHARE, seed=1,
                          actor=users(workspace)["analyst"])
    close_database(path)
    return path


@pytest.fixture
def world(retrain_template, tmp_path):
    """(workspace, project, users by role) on a fresh copy of the template."""
    path = tmp_path / "w.duckdb"
    shutil.copy(retrain_template, path)
    shutil.copytree(retrain_template.with_suffix(".files"), path.with_suffix(".files"))
    workspace = open_workspace(path)
    yield workspace, projects.find_project(workspace, "Visits"), users(workspace)
    close_database(path)
