"""Users, Argon2 passwords and role permissions."""
from __future__ import annotations

import pytest

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.auth import Permission
from lifecycle.errors import InputError, NotFound, PermissionDenied

CSV = b"x,y\n1,yes\n2,no\n"


def _stored_hash(workspace, name):
    return workspace.db.value("SELECT password_hash FROM users WHERE name = ?", [name])


def test_passwords_are_stored_as_argon2_hashes(workspace, actors):
    auth.add_user(workspace, actors["admin"], "pat", "analyst", password="correct horse")
    digest = _stored_hash(workspace, "pat")
    assert digest.startswith("$argon2")
    assert "correct horse" not in digest
    assert workspace.db.value("SELECT count(*) FROM audit_log WHERE details LIKE '%correct horse%'") == 0


def test_authenticate_right_and_wrong(workspace, actors):
    auth.add_user(workspace, actors["admin"], "pat", "analyst", password="correct horse")
    user = auth.authenticate(workspace, "pat", "correct horse")
    assert user is not None and user.name == "pat" and user.role == "analyst"
    assert auth.authenticate(workspace, "pat", "wrong horse") is None
    assert auth.authenticate(workspace, "nobody", "correct horse") is None
    assert auth.authenticate(workspace, "analyst", "") is None  # a user without a password


def test_set_password_rehashes_and_checks_length(workspace, actors):
    auth.set_password(workspace, actors["analyst"], "analyst", "a long passphrase")
    assert auth.authenticate(workspace, "analyst", "a long passphrase").name == "analyst"
    with pytest.raises(InputError, match="shorter than 8 characters"):
        auth.set_password(workspace, actors["analyst"], "analyst", "short")
    with pytest.raises(PermissionDenied, match="analyst \\(analyst\\) may not add users"):
        auth.set_password(workspace, actors["analyst"], "reviewer", "a long passphrase")


@pytest.mark.parametrize("role, permission, allowed", [
    ("analyst", Permission.EDIT_PROJECT, True), ("analyst", Permission.EDIT_DATA, True),
    ("analyst", Permission.MANAGE_USERS, False), ("admin", Permission.MANAGE_USERS, True),
    ("admin", Permission.EDIT_DATA, True), ("reviewer", Permission.EDIT_PROJECT, False),
    ("reviewer", Permission.READ, True), ("stakeholder", Permission.EDIT_DATA, False),
    ("stakeholder", Permission.READ, True),
])
def test_role_grants(actors, role, permission, allowed):
    assert auth.can(actors[role], permission) is allowed
    assert (auth.why_not(actors[role], permission) is None) is allowed


@pytest.mark.parametrize("role", ["reviewer", "stakeholder"])
def test_readers_cannot_create_projects(workspace, actors, role):
    before = workspace.db.value("SELECT count(*) FROM audit_log")
    with pytest.raises(PermissionDenied) as caught:
        projects.create_project(workspace, actors[role], name="P", task="binary", target="y", positive_class="yes")
    message = str(caught.value)
    assert f"{role} ({role}) may not create and edit projects" in message
    assert "analyst or admin role" in message
    assert workspace.db.value("SELECT count(*) FROM projects") == 0
    assert workspace.db.value("SELECT count(*) FROM audit_log") == before


@pytest.mark.parametrize("role", ["reviewer", "stakeholder"])
def test_readers_cannot_ingest(workspace, actors, project, role):
    with pytest.raises(PermissionDenied) as caught:
        datasets.ingest_bytes(workspace, actors[role], project.id, CSV, "d.csv")
    assert f"({role}) may not ingest data" in str(caught.value)
    assert "analyst or admin role" in str(caught.value)
    assert datasets.list_datasets(workspace, project.id) == []


def test_only_admins_add_users(workspace, actors):
    with pytest.raises(PermissionDenied, match="analyst \\(analyst\\) may not add users.*admin role"):
        auth.add_user(workspace, actors["analyst"], "eve", "admin")
    assert auth.add_user(workspace, actors["admin"], "eve", "reviewer").role == "reviewer"
    assert [e for e in auth.list_users(workspace) if e.name == "eve"][0].role == "reviewer"


def test_bad_role_name(workspace, actors):
    with pytest.raises(InputError) as caught:
        auth.add_user(workspace, actors["admin"], "eve", "boss")
    assert "Role 'boss' does not exist" in str(caught.value)
    assert "analyst, reviewer, stakeholder, admin" in str(caught.value)


def test_duplicate_user(workspace, actors):
    before = workspace.db.value("SELECT count(*) FROM audit_log")
    with pytest.raises(InputError, match="A user named 'analyst' already exists. Pick another name."):
        auth.add_user(workspace, actors["admin"], "analyst", "reviewer")
    assert auth.get_user(workspace, "analyst").role == "analyst"
    assert workspace.db.value("SELECT count(*) FROM audit_log") == before


@pytest.mark.parametrize("name", ["", "two words", "a;drop", "x" * 65])
def test_bad_user_names(workspace, actors, name):
    with pytest.raises(InputError, match="is not allowed.*letters, digits"):
        auth.add_user(workspace, actors["admin"], name, "analyst")


def test_init_admin_only_on_an_empty_workspace(workspace):
    with pytest.raises(InputError, match="already has users.*user add"):
        auth.init_admin(workspace, "second")


def test_unknown_user_names_the_fix(workspace):
    with pytest.raises(NotFound, match="No user named 'ghost'.*user add"):
        auth.get_user(workspace, "ghost")


# ----------------------------------------------------------------------------- the password rule

@pytest.mark.parametrize("path", ["init_admin", "add_user", "set_password"])
def test_auth_refuses_a_short_password_on_every_path(tmp_path, path):
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    workspace = open_workspace(tmp_path / "p.duckdb")
    try:
        if path != "init_admin":
            admin = auth.init_admin(workspace, "root")
        with pytest.raises(InputError, match="shorter than 8 characters. Choose a longer one."):
            if path == "init_admin":
                auth.init_admin(workspace, "root", "seven77")
            elif path == "add_user":
                auth.add_user(workspace, admin, "pat", "analyst", password="seven77")
            else:
                auth.set_password(workspace, admin, "root", "seven77")
        assert auth.authenticate(workspace, "root", "seven77") is None
        assert [u.name for u in auth.list_users(workspace)] == ([] if path == "init_admin" else ["root"])
    finally:
        close_database(tmp_path / "p.duckdb")


def test_eight_characters_are_enough_and_no_password_stays_allowed(workspace, actors):
    auth.add_user(workspace, actors["admin"], "pat", "analyst", password="8 chars!")
    assert auth.authenticate(workspace, "pat", "8 chars!").name == "pat"
    auth.add_user(workspace, actors["admin"], "cli", "analyst")  # the CLI may create a user without one
    assert auth.authenticate(workspace, "cli", "") is None


# ----------------------------------------------------------------------------- the one registry

def test_every_permission_is_registered_with_known_roles():
    assert set(auth.GRANTS) == set(Permission)
    for permission, roles in auth.GRANTS.items():
        assert roles and roles <= set(auth.ROLES), permission


def test_role_summaries_list_what_the_registry_grants():
    for role in auth.ROLES:
        summary = auth.ROLE_SUMMARY[role]
        for permission in Permission:
            assert (permission.value in summary) is (role in auth.GRANTS[permission]), (role, permission)
    assert "stages 1–7" not in " ".join(auth.ROLE_SUMMARY.values())
    assert auth.ROLE_SUMMARY["stakeholder"] == "May read projects and reports."


def test_refusal_names_the_roles_of_the_registry(actors):
    assert auth.roles_with(Permission.REJECT_MODEL) == ("analyst", "reviewer", "admin")
    with pytest.raises(PermissionDenied, match="may not approve models.*Ask an admin for the reviewer role"):
        auth.require(actors["analyst"], Permission.APPROVE_MODEL)


def test_pages_and_ui_check_actions_not_role_names():
    """Every disabled control asks the registry (auth.can / auth.why_not with a Permission); no page
    or panel compares role names itself."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = {path: path.read_text() for folder in ("pages", "ui", "lifecycle/cli")
               for path in (root / folder).rglob("*.py")}
    sources[root / "app.py"] = (root / "app.py").read_text()
    checks = 0
    for path, source in sources.items():
        assert not re.search(r"\.role\s*(==|!=|in\b|not in\b)", source), path
        assert not re.search(r"""["'](analyst|reviewer|stakeholder)["']""", source), path
        for call in re.finditer(r"auth\.(can|why_not|require)\(([^)]*)\)", source):
            checks += 1
            member = re.search(r"Permission\.([A-Z_]+)", call.group(2))
            assert member and member.group(1) in Permission.__members__, (path, call.group(0))
    assert checks >= 8
