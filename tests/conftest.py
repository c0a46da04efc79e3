"""Shared fixtures: a fresh workspace file per test, one user of each role, a binary project.

Users get no password (argon2 is deliberately slow); tests of authentication set their own.
"""
from __future__ import annotations

import pytest

from lifecycle import auth
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "w.duckdb"
    opened = open_workspace(path)
    admin = auth.init_admin(opened, "admin")
    for name in ("analyst", "reviewer", "stakeholder"):
        auth.add_user(opened, admin, name, name)
    yield opened
    close_database(path)


@pytest.fixture
def actors(workspace):
    """The four users by role name: admin, analyst, reviewer, stakeholder."""
    return {user.role: user for user in auth.list_users(workspace)}


@pytest.fixture
def project(workspace, actors):
    return projects.create_project(workspace, actors["analyst"], name="Churn", task="binary",
                                   target="y", positive_class="yes")
