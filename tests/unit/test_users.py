"""Managing users (roles, disabling, passwords), archived projects, and the sign-in cookie's token."""
from __future__ import annotations

import pytest

from lifecycle import audit, auth
from lifecycle.access import session_cookie, users
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.problem import projects

PASSWORD = "correct horse"


def _actions(workspace) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.entity) for e in audit.recent_events(workspace, limit=1000)]


def test_admin_changes_a_role_and_it_is_on_the_audit_trail(workspace, actors):
    changed = users.set_role(workspace, actors["admin"], "analyst", "reviewer")
    assert changed.role == "reviewer"
    assert ("admin", "user.role_changed", "user:analyst") in _actions(workspace)
    event = next(e for e in audit.recent_events(workspace, limit=100) if e.action == "user.role_changed")
    assert event.details == {"from": "analyst", "to": "reviewer"}


@pytest.mark.parametrize("role", ["analyst", "reviewer", "stakeholder"])
def test_only_an_admin_manages_users(workspace, actors, role):
    with pytest.raises(PermissionDenied, match=f"{role} \\({role}\\) may not add users, change roles"):
        users.set_role(workspace, actors[role], "stakeholder", "analyst")
    with pytest.raises(PermissionDenied):
        users.set_active(workspace, actors[role], "stakeholder", False)
    with pytest.raises(PermissionDenied):
        users.reset_password(workspace, actors[role], "stakeholder", PASSWORD)


def test_a_disabled_user_cannot_sign_in_and_stays_on_record(workspace, actors):
    auth.set_password(workspace, actors["admin"], "analyst", PASSWORD)
    assert auth.authenticate(workspace, "analyst", PASSWORD) is not None
    disabled = users.set_active(workspace, actors["admin"], "analyst", False)
    assert disabled.active is False and not auth.can(disabled, auth.Permission.READ)
    assert auth.authenticate(workspace, "analyst", PASSWORD) is None
    assert "analyst" in [u.name for u in users.list_users(workspace)]  # never deleted
    assert ("admin", "user.disabled", "user:analyst") in _actions(workspace)
    assert users.set_active(workspace, actors["admin"], "analyst", True).active
    assert auth.authenticate(workspace, "analyst", PASSWORD) is not None


def test_the_last_active_admin_can_never_be_disabled_or_demoted(workspace, actors):
    admin = actors["admin"]
    with pytest.raises(InputError, match="admin is the last active admin; disabling them would leave nobody to "
                                         "manage users. Make another user an admin first"):
        users.set_active(workspace, admin, "admin", False)
    with pytest.raises(InputError, match="last active admin; making them analyst"):
        users.set_role(workspace, admin, "admin", "analyst")
    users.set_role(workspace, admin, "reviewer", "admin")
    users.set_active(workspace, admin, "reviewer", False)  # a disabled admin does not count
    with pytest.raises(InputError, match="last active admin"):
        users.set_role(workspace, admin, "admin", "stakeholder")
    users.set_active(workspace, admin, "reviewer", True)
    assert users.set_role(workspace, admin, "admin", "stakeholder").role == "stakeholder"


def test_everyone_changes_their_own_password(workspace, actors):
    auth.set_password(workspace, actors["admin"], "stakeholder", PASSWORD)
    with pytest.raises(PermissionDenied, match="The current password is not right"):
        users.change_own_password(workspace, actors["stakeholder"], "wrong one", "a new password")
    with pytest.raises(InputError, match=f"shorter than {auth.MIN_PASSWORD_LENGTH} characters"):
        users.change_own_password(workspace, actors["stakeholder"], PASSWORD, "short")
    users.change_own_password(workspace, actors["stakeholder"], PASSWORD, "a new password")
    assert auth.authenticate(workspace, "stakeholder", "a new password") is not None
    assert ("stakeholder", "user.password_set", "user:stakeholder") in _actions(workspace)


def test_an_admin_resets_a_password(workspace, actors):
    users.reset_password(workspace, actors["admin"], "reviewer", PASSWORD)
    assert auth.authenticate(workspace, "reviewer", PASSWORD) is not None
    assert ("admin", "user.password_set", "user:reviewer") in _actions(workspace)


def test_last_sign_in_and_last_project_are_remembered(workspace, actors, project):
    assert auth.get_user(workspace, "analyst").last_sign_in is None
    users.record_sign_in(workspace, "analyst")
    assert auth.get_user(workspace, "analyst").last_sign_in is not None
    assert users.last_project(workspace, actors["analyst"]) is None
    users.remember_project(workspace, actors["analyst"], project.id)
    assert users.last_project(workspace, actors["analyst"]) == project.id


def test_an_admin_archives_and_restores_a_project(workspace, actors, project):
    with pytest.raises(PermissionDenied, match="may not archive and restore projects"):
        projects.set_archived(workspace, actors["analyst"], project.id, True)
    archived = projects.set_archived(workspace, actors["admin"], project.id, True)
    assert archived.archived_at is not None
    assert projects.list_projects(workspace) == []  # hidden from the portfolio and the picker
    assert [p.id for p in projects.list_projects(workspace, archived=True)] == [project.id]
    assert projects.get_project(workspace, project.id).name == "Churn"  # kept on record
    projects.set_archived(workspace, actors["admin"], project.id, False)
    assert [p.id for p in projects.list_projects(workspace)] == [project.id]
    actions = [a for _, a, _ in _actions(workspace)]
    assert "project.archived" in actions and "project.restored" in actions


# -- the sign-in cookie's token ------------------------------------------------------------------

def test_a_token_names_its_user_until_it_expires(workspace, actors, monkeypatch):
    auth.set_password(workspace, actors["admin"], "analyst", PASSWORD)
    token = session_cookie.issue(workspace, actors["analyst"])
    assert session_cookie.verify(workspace, token).name == "analyst"
    assert session_cookie.secret_path(workspace).stat().st_mode & 0o077 == 0  # owner only
    monkeypatch.setattr(session_cookie, "max_age_seconds", lambda: -1)
    assert session_cookie.verify(workspace, token) is None


def test_a_forged_or_outdated_token_is_refused(workspace, actors):
    auth.set_password(workspace, actors["admin"], "analyst", PASSWORD)
    token = session_cookie.issue(workspace, actors["analyst"])
    assert session_cookie.verify(workspace, None) is None
    assert session_cookie.verify(workspace, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert session_cookie.verify(workspace, "analyst") is None
    auth.set_password(workspace, actors["admin"], "analyst", "another password")  # a reset signs browsers out
    assert session_cookie.verify(workspace, token) is None
    fresh = session_cookie.issue(workspace, actors["analyst"])
    users.set_active(workspace, actors["admin"], "analyst", False)
    assert session_cookie.verify(workspace, fresh) is None


# -- the CLI -------------------------------------------------------------------------------------

def test_cli_user_commands(tmp_path, capsys):
    from lifecycle.cli import main
    path = str(tmp_path / "w.duckdb")

    def run(*args, user="root"):
        code = main(["--workspace", path, *(["--user", user] if user else []), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("workspace", "init", "--admin", "root", user=None)[0] == 0
    assert run("user", "add", "bob", "--role", "analyst")[0] == 0
    assert run("user", "role", "bob", "reviewer") == (0, "bob is now reviewer.\n", "")
    assert run("user", "passwd", "bob", "--password", PASSWORD) == (0, "Password set for bob.\n", "")
    assert run("user", "disable", "bob") == (0, "bob is disabled.\n", "")
    code, out, _ = run("user", "list")
    assert code == 0 and "bob\treviewer\tdisabled\tnever signed in" in out
    code, _, err = run("user", "disable", "root")
    assert code == 2 and "root is the last active admin" in err
    code, _, err = run("user", "role", "root", "analyst", user="bob")
    assert code == 2
    assert run("user", "enable", "bob")[0] == 0
    code, _, err = run("user", "role", "root", "analyst", user="bob")
    assert code == 2 and "bob (reviewer) may not add users, change roles" in err
    assert run("project", "create", "P", "--task", "regression", "--target", "y")[0] == 0
    assert run("project", "archive", "P") == (0, "Archived P.\n", "")
    assert run("project", "list")[1] == "No projects yet.\n"
    assert "\t(archived)" in run("project", "list", "--archived")[1]
    assert run("project", "restore", "P") == (0, "Restored P.\n", "")
